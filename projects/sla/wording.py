"""SLA reasons in the reader's language.

The monitor records each reason with its figures and an English sentence (projects/sla/states.py, pure, no
Django). English readers get that sentence as recorded, with its dates; other languages get a sentence built
from the recorded figures in the active language.
"""

from __future__ import annotations

from django.utils.translation import get_language, gettext, gettext_lazy

from projects.sla import states

FIGURE_NAMES = {
    states.DAILY_THROUGHPUT: gettext_lazy("daily throughput"),
    states.GOLD_ACCURACY: gettext_lazy("gold accuracy"),
    states.QA_ACCEPTANCE: gettext_lazy("QA acceptance"),
    states.AGREEMENT: gettext_lazy("agreement"),
    states.TURNAROUND_HOURS: gettext_lazy("turnaround"),
}


def figure_name(name: str) -> str:
    return str(FIGURE_NAMES.get(name, name.replace("_", " ")))


def reason_text(reason: dict) -> str:
    """One recorded reason as a sentence for the reader."""
    if (get_language() or "en").startswith("en"):
        return reason["message"]
    figure = reason.get("figure")
    if figure == states.DUE_DATE:
        return gettext("the due date passed with %(remaining)s labels remaining") % {
            "remaining": _number(reason.get("value"))
        }
    if figure == states.FORECAST:
        return _forecast_text(reason)
    if figure == states.TURNAROUND_HOURS:
        return gettext("turnaround %(hours)s h exceeds the limit of %(limit)s h") % {
            "hours": _number(reason.get("value"), "%.1f"),
            "limit": _number(reason.get("threshold")),
        }
    if figure in FIGURE_NAMES and reason.get("value") is not None:
        wording = (
            gettext("%(figure)s %(value)s (interval %(low)s to %(high)s) wholly below the floor %(floor)s")
            if reason.get("verdict") == states.BREACHED
            else gettext("%(figure)s %(value)s (interval %(low)s to %(high)s) crosses the floor %(floor)s")
        )
        return wording % {
            "figure": figure_name(figure),
            "value": _number(reason["value"]),
            "low": _number(reason.get("low")),
            "high": _number(reason.get("high")),
            "floor": _number(reason.get("threshold")),
        }
    return reason["message"]


def _forecast_text(reason: dict) -> str:
    days_left = _number(reason.get("threshold"))
    if reason.get("value") is None:
        return gettext(
            "at the current rate the remaining labels cannot be finished in the %(days_left)s days before the due date"
        ) % {"days_left": days_left}
    if reason.get("high") is None:
        return gettext(
            "the forecast needs %(days)s days (at least %(low)s) but %(days_left)s days are left before the due date"
        ) % {"days": _number(reason["value"]), "low": _number(reason.get("low")), "days_left": days_left}
    return gettext(
        "the forecast needs %(days)s days (range %(low)s to %(high)s) but %(days_left)s days are left before the due"
        " date"
    ) % {
        "days": _number(reason["value"]),
        "low": _number(reason.get("low")),
        "high": _number(reason["high"]),
        "days_left": days_left,
    }


def _number(value, pattern: str = "%.3g") -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return pattern % value
