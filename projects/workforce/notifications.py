"""Telling the project manager and the vendor's managers that an annotator was paused: one e-mail each."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import timezone

from projects.access.roles import PROJECT_MANAGER
from projects.models import AnnotatorPause, VendorManager


def pause_recipients(pause: AnnotatorPause) -> list[str]:
    """The project's creator (else every project manager) and the annotator's vendor's managers; active accounts
    with an address, each once."""
    creator = pause.project.created_by
    if creator is not None and creator.is_active and creator.email:
        managers = [creator.email]
    else:
        users = get_user_model().objects.filter(is_active=True, groups__name=PROJECT_MANAGER).exclude(email="")
        managers = list(users.order_by("email").values_list("email", flat=True))
    vendor_managers = VendorManager.objects.filter(
        vendor_id=pause.annotator.vendor_id, user__is_active=True, user__email__gt=""
    ).order_by("user__email")
    return list(dict.fromkeys(managers + list(vendor_managers.values_list("user__email", flat=True))))


def send_pause_notices(pause: AnnotatorPause) -> list[str]:
    """One message to each recipient, naming the annotator, the project, the reason and what happened; returns
    the addresses written to."""
    addresses = pause_recipients(pause)
    for address in addresses:
        _message(pause, address).send()
    return addresses


def _message(pause: AnnotatorPause, address: str) -> EmailMessage:
    annotator = pause.annotator
    vendor_zone = annotator.vendor.zone
    subject = f"[annotate] {annotator.user.get_username()} paused on {pause.project}"
    lines = [
        f"{annotator.user.get_username()} ({annotator.vendor}) was paused on {pause.project}"
        f" at {timezone.localtime(pause.paused_at, vendor_zone):%Y-%m-%d %H:%M %Z} by {pause.paused_by}.",
        "",
        "Why:",
        pause.reason,
        "",
        "What happened:",
        *(f"- {change['connection']}: {change['detail']}" for change in pause.label_studio),
        f"- {pause.labels_sent_to_qa} of their labels were sent to QA review in full.",
        "",
        "A project manager can reinstate them with a comment in annotate's admin (Annotator pauses).",
    ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[address])
