"""SLA notifications: one e-mail per SLA event, to the project manager and the vendor's managers, sent once.

The message names the batch, the vendor and the new state, and gives the reasons and the figures behind them;
the vendor manager gets the same message (figures are the batch's, never gold answers or other vendors').
"""

from __future__ import annotations

import logging
import smtplib

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from projects.access.roles import PROJECT_MANAGER
from projects.models import Batch, SlaEvent, SlaState, VendorManager

logger = logging.getLogger(__name__)


def recipients(batch: Batch) -> list[str]:
    """Who hears of the batch's SLA changes: its project's creator (else every project manager) and its vendor's
    managers; active accounts with an address only."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    creator = batch.project.created_by
    if creator is not None and creator.is_active and creator.email:
        managers = [creator.email]
    else:
        managers = list(users.filter(groups__name=PROJECT_MANAGER).order_by("email").values_list("email", flat=True))
    vendor_managers = VendorManager.objects.filter(
        vendor_id=batch.vendor_id, user__is_active=True, user__email__gt=""
    ).order_by("user__email")
    addresses = managers + list(vendor_managers.values_list("user__email", flat=True))
    return list(dict.fromkeys(addresses))


def send_sla_notifications() -> tuple[int, int]:
    """E-mail every SLA event not yet sent, one message per event; returns (sent, failed).

    Each event is locked while its message goes out and marked sent with it, so two workers never both send it;
    a failed send leaves it unsent for the next run.
    """
    sent = failed = 0
    for event_id in SlaEvent.objects.filter(notified_at__isnull=True).order_by("id").values_list("id", flat=True):
        try:
            with transaction.atomic():
                event = (
                    SlaEvent.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("batch__project__created_by", "vendor")
                    .filter(pk=event_id, notified_at__isnull=True)
                    .first()
                )
                if event is None:
                    continue
                addresses = recipients(event.batch) if _worth_telling(event) else []
                if addresses:
                    _message(event, addresses).send()
                event.notified_at = timezone.now()
                event.recipients = addresses
                event.save(update_fields=["notified_at", "recipients"])
        except (smtplib.SMTPException, OSError):
            logger.exception("SLA event %s: the e-mail could not be sent; the next run tries again", event_id)
            failed += 1
        else:
            sent += bool(addresses)
    return sent, failed


def _worth_telling(event: SlaEvent) -> bool:
    # A batch that starts out on track is recorded, but nobody needs an e-mail saying so.
    return bool(event.from_state) or event.to_state != SlaState.ON_TRACK


def _message(event: SlaEvent, addresses: list[str]) -> EmailMessage:
    state = event.get_to_state_display()
    subject = f"[annotate] SLA {state.lower()}: {event.batch} ({event.vendor})"
    lines = [
        f"Batch {event.batch}, vendor {event.vendor}: {event.get_from_state_display() or 'new'} → {state}",
        f"at {timezone.localtime(event.created_at):%Y-%m-%d %H:%M %Z}.",
        "",
    ]
    if event.reasons:
        lines += ["Why:", *(f"- {reason['message']}" for reason in event.reasons), ""]
    else:
        lines += ["Every figure meets the policy.", ""]
    lines += ["Figures:", *_figure_lines(event.figures)]
    return EmailMessage(subject=subject, body="\n".join(lines), to=addresses)


def _figure_lines(figures: dict) -> list[str]:
    lines = [
        f"- labels counted toward the target: {figures.get('labels_counted')} of {figures.get('labels_needed')}"
        f" ({figures.get('remaining')} to go)",
        f"- due: {figures.get('due') or 'no due date'}",
    ]
    projection = figures.get("forecast") or {}
    if projection.get("completion_date"):
        lines.append(
            f"- forecast completion: {projection['completion_date']} (range {projection['optimistic_date']}"
            f" to {projection['pessimistic_date'] or 'later'}), at {projection['daily_rate']} labels a day"
        )
    elif projection:
        lines.append(f"- forecast: {projection['status'].replace('_', ' ')}")
    if figures.get("turnaround_hours") is not None:
        lines.append(f"- turnaround: {figures['turnaround_hours']:.1f} h")
    for name in ("daily_throughput", "gold_accuracy", "qa_acceptance", "agreement"):
        figure = figures.get(name)
        if figure:
            sample = f", n={figure['n']}" if "n" in figure else ""
            lines.append(
                f"- {name.replace('_', ' ')}: {figure['value']:.3g} ({figure['low']:.3g} to {figure['high']:.3g}"
                f"{sample}), over {figures.get('window_days')} days"
            )
    return lines
