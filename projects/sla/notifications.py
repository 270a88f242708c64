"""SLA notifications: one e-mail per SLA event, to the project manager and the vendor's managers, sent once.

The message names the batch, the vendor and the new state, and gives the reasons and the figures behind them;
the vendor manager gets the same message (figures are the batch's, never gold answers or other vendors'), in the
language they chose on the portal and with times in their vendor's time zone: readers who share both share one
message.
"""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from projects.access.roles import PROJECT_MANAGER
from projects.languages import language_for
from projects.models import Batch, SlaEvent, SlaState, VendorManager
from projects.sla.wording import figure_name, reason_text

logger = logging.getLogger(__name__)

_FORECAST_STATUS = {
    "done": gettext_lazy("done"),
    "no_history": gettext_lazy("no history yet"),
    "cannot_finish": gettext_lazy("cannot finish at the current rate"),
}


@dataclass(frozen=True)
class Reader:
    """One recipient of a batch's SLA e-mails, and how they read it."""

    email: str
    language: str
    time_zone: zoneinfo.ZoneInfo | None  # None: the site's time zone


def readers(batch: Batch) -> list[Reader]:
    """Who hears of the batch's SLA changes: its project's creator (else every project manager) and its vendor's
    managers; active accounts with an address only, each once."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    creator = batch.project.created_by
    if creator is not None and creator.is_active and creator.email:
        managers = [creator]
    else:
        managers = list(users.filter(groups__name=PROJECT_MANAGER).order_by("email"))
    vendor_managers = VendorManager.objects.filter(
        vendor_id=batch.vendor_id, user__is_active=True, user__email__gt=""
    ).select_related("user", "vendor")
    found = [Reader(user.email, language_for(user), None) for user in managers]
    found += [
        Reader(manager.user.email, language_for(manager.user), _own_zone(manager.vendor.time_zone))
        for manager in vendor_managers.order_by("user__email")
    ]
    once: dict[str, Reader] = {}
    for reader in found:
        once.setdefault(reader.email, reader)
    return list(once.values())


def _own_zone(name: str) -> zoneinfo.ZoneInfo | None:
    # A vendor on the site's own time zone reads the same message as the project manager.
    return None if name == timezone.get_default_timezone_name() else zoneinfo.ZoneInfo(name)


def send_sla_notifications() -> tuple[int, int]:
    """E-mail every SLA event not yet sent, one message per event and (language, time zone) of its readers;
    returns (events sent, events failed).

    Each event is locked while its message goes out and marked sent with it, so two workers never both send it;
    a failed send leaves it unsent for the next run (readers whose message had already gone out then get it again).
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
                audience = readers(event.batch) if _worth_telling(event) else []
                for language, zone, addresses in _groups(audience):
                    with translation.override(language), timezone.override(zone or timezone.get_default_timezone()):
                        _message(event, addresses).send()
                addresses = [reader.email for reader in audience]
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


def _groups(audience: list[Reader]) -> list[tuple[str, zoneinfo.ZoneInfo | None, list[str]]]:
    """Readers by (language, time zone), in the order they come."""
    groups: dict[tuple[str, zoneinfo.ZoneInfo | None], list[str]] = {}
    for reader in audience:
        groups.setdefault((reader.language, reader.time_zone), []).append(reader.email)
    return [(language, zone, addresses) for (language, zone), addresses in groups.items()]


def _message(event: SlaEvent, addresses: list[str]) -> EmailMessage:
    state = event.get_to_state_display()
    subject = gettext("[annotate] SLA %(state)s: %(batch)s (%(vendor)s)") % {
        "state": state.lower(),
        "batch": event.batch,
        "vendor": event.vendor,
    }
    lines = [
        gettext("Batch %(batch)s, vendor %(vendor)s: %(from_state)s → %(to_state)s")
        % {
            "batch": event.batch,
            "vendor": event.vendor,
            "from_state": event.get_from_state_display() or gettext("new"),
            "to_state": state,
        },
        gettext("at %(time)s.") % {"time": f"{timezone.localtime(event.created_at):%Y-%m-%d %H:%M %Z}"},
        "",
    ]
    if event.reasons:
        lines += [gettext("Why:"), *(f"- {reason_text(reason)}" for reason in event.reasons), ""]
    else:
        lines += [gettext("Every figure meets the policy."), ""]
    lines += [gettext("Figures:"), *_figure_lines(event.figures)]
    return EmailMessage(subject=subject, body="\n".join(lines), to=addresses)


def _figure_lines(figures: dict) -> list[str]:
    lines = [
        "- "
        + gettext("labels counted toward the target: %(counted)s of %(needed)s (%(remaining)s to go)")
        % {
            "counted": figures.get("labels_counted"),
            "needed": figures.get("labels_needed"),
            "remaining": figures.get("remaining"),
        },
        "- " + gettext("due: %(due)s") % {"due": figures.get("due") or gettext("no due date")},
    ]
    lines += _forecast_lines(figures.get("forecast") or {})
    if figures.get("turnaround_hours") is not None:
        lines.append("- " + gettext("turnaround: %(hours).1f h") % {"hours": figures["turnaround_hours"]})
    for name in ("daily_throughput", "gold_accuracy", "qa_acceptance", "agreement"):
        figure = figures.get(name)
        if figure:
            sample = f", n={figure['n']}" if "n" in figure else ""
            lines.append(
                "- "
                + gettext("%(figure)s: %(value).3g (%(low).3g to %(high).3g%(sample)s), over %(days)s days")
                % {
                    "figure": figure_name(name),
                    "value": figure["value"],
                    "low": figure["low"],
                    "high": figure["high"],
                    "sample": sample,
                    "days": figures.get("window_days"),
                }
            )
    return lines


def _forecast_lines(projection: dict) -> list[str]:
    if projection.get("completion_date"):
        return [
            "- "
            + gettext("forecast completion: %(date)s (range %(early)s to %(late)s), at %(rate)s labels a day")
            % {
                "date": projection["completion_date"],
                "early": projection["optimistic_date"],
                "late": projection["pessimistic_date"] or gettext("later"),
                "rate": projection["daily_rate"],
            }
        ]
    if projection:
        status = projection["status"]
        return [
            "- " + gettext("forecast: %(status)s") % {"status": _FORECAST_STATUS.get(status, status.replace("_", " "))}
        ]
    return []
