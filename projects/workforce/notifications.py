"""Telling the project manager and the vendor's managers that an annotator was paused: one e-mail each, in the
language each reads annotate in, with times in the vendor's zone. The reason itself is the rule's, in English."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext

from projects.access.roles import PROJECT_MANAGER
from projects.languages import language_for
from projects.models import AnnotatorPause, VendorManager


@dataclass(frozen=True)
class Reader:
    email: str
    language: str


def pause_readers(pause: AnnotatorPause) -> list[Reader]:
    """The project's creator (else every project manager) and the annotator's vendor's managers; active accounts
    with an address, each once."""
    creator = pause.project.created_by
    if creator is not None and creator.is_active and creator.email:
        managers = [creator]
    else:
        users = get_user_model().objects.filter(is_active=True, groups__name=PROJECT_MANAGER).exclude(email="")
        managers = list(users.order_by("email"))
    vendor_managers = VendorManager.objects.filter(
        vendor_id=pause.annotator.vendor_id, user__is_active=True, user__email__gt=""
    ).select_related("user")
    people = managers + [manager.user for manager in vendor_managers.order_by("user__email")]
    once: dict[str, Reader] = {}
    for person in people:
        once.setdefault(person.email, Reader(person.email, language_for(person)))
    return list(once.values())


def send_pause_notices(pause: AnnotatorPause) -> list[str]:
    """One message to each reader, naming the annotator, the project, the reason and what happened; returns
    the addresses written to."""
    readers = pause_readers(pause)
    for reader in readers:
        with translation.override(reader.language), timezone.override(pause.annotator.vendor.zone):
            _message(pause, reader.email).send()
    return [reader.email for reader in readers]


def _message(pause: AnnotatorPause, address: str) -> EmailMessage:
    names = {"annotator": pause.annotator.user.get_username(), "project": str(pause.project)}
    subject = gettext("[annotate] %(annotator)s paused on %(project)s") % names
    lines = [
        gettext("%(annotator)s (%(vendor)s) was paused on %(project)s at %(time)s by %(actor)s.")
        % {
            **names,
            "vendor": pause.annotator.vendor,
            "time": f"{timezone.localtime(pause.paused_at):%Y-%m-%d %H:%M %Z}",
            "actor": pause.paused_by,
        },
        "",
        gettext("Why:"),
        pause.reason,
        "",
        gettext("What happened:"),
        *(f"- {change['connection']}: {change['detail']}" for change in pause.label_studio),
        "- "
        + gettext("%(count)s of their labels were sent to QA review in full.") % {"count": pause.labels_sent_to_qa},
        "",
        gettext("A project manager can reinstate them with a comment in annotate's admin (Annotator pauses)."),
    ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=[address])
