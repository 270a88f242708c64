"""SLA state machine (pure): figures and a policy in, the state of one batch and vendor out.

The figures give a verdict, the worst of their reasons:
- at risk: the completion forecast lands after the due date (or cannot finish at the current rate), or a floored
  figure's interval crosses its floor (lower bound below it, upper bound at or above it). A point estimate below
  the floor with an upper bound above is still only at risk: the evidence does not yet prove the miss;
- breached: the due date passed with work remaining, the turnaround exceeded its limit, or a floored figure's
  whole interval lies below its floor.
A figure exactly at its floor meets it. Figures that are None (no data yet, or no floor in the policy) are skipped.

From the verdict and the previous status:
- a breach lasts until resolution: once breached, a verdict of "at risk" keeps it breached, or a figure wavering
  around its floor would restart the grace clock forever;
- escalated: breached and unresolved for `grace_hours` since the breach began (a grace of 0 escalates at once);
- resolved: a verdict of fine after at risk, breached or escalated. Resolved stays until the figures turn again
  (it does not fall back to on track on the next run): a second notification an hour later saying "on track"
  would be news to nobody.

`changed` is true exactly when the state differs from the previous one (and on the first evaluation), so the
caller records one SLA event and sends one notification per change; the same figures evaluated again, at any
later time short of the grace time running out, never report a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from projects.sla.forecast import CompletionForecast, misses_due

ON_TRACK = "on_track"
AT_RISK = "at_risk"
BREACHED = "breached"
ESCALATED = "escalated"
RESOLVED = "resolved"

FORECAST = "forecast"
DUE_DATE = "due_date"
TURNAROUND_HOURS = "turnaround_hours"
DAILY_THROUGHPUT = "daily_throughput"
GOLD_ACCURACY = "gold_accuracy"
QA_ACCEPTANCE = "qa_acceptance"
AGREEMENT = "agreement"

_BREACH_STATES = (BREACHED, ESCALATED)
_TROUBLE_STATES = (AT_RISK, BREACHED, ESCALATED)


@dataclass(frozen=True)
class SlaPolicy:
    """The effective policy for one batch and vendor (project policy with its overrides already applied)."""

    turnaround_hours: float | None = None  # push to the last label counted toward the target, at most
    min_daily_throughput: float | None = None  # labels counted per day over the evaluation window
    min_gold_accuracy: float | None = None
    min_qa_acceptance: float | None = None
    min_agreement: float | None = None
    grace_hours: float = 24.0  # breached and unresolved this long: escalated
    evaluation_window_days: int = 7  # the window the caller measures throughput and quality over

    def __post_init__(self) -> None:
        for name in ("min_gold_accuracy", "min_qa_acceptance", "min_agreement"):
            floor = getattr(self, name)
            if floor is not None and not 0 <= floor <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {floor}")
        if self.turnaround_hours is not None and self.turnaround_hours <= 0:
            raise ValueError(f"turnaround_hours must be positive, got {self.turnaround_hours}")
        if self.min_daily_throughput is not None and self.min_daily_throughput < 0:
            raise ValueError(f"min_daily_throughput must not be negative, got {self.min_daily_throughput}")
        if self.grace_hours < 0:
            raise ValueError(f"grace_hours must not be negative, got {self.grace_hours}")
        if self.evaluation_window_days < 1:
            raise ValueError(f"evaluation_window_days must be at least 1, got {self.evaluation_window_days}")


@dataclass(frozen=True)
class Figure:
    """A measured figure with its interval (e.g. a Wilson interval); a bare value is its own interval."""

    value: float
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        if not low <= self.value <= high:
            raise ValueError(f"need low <= value <= high, got {low}, {self.value}, {high}")


@dataclass(frozen=True)
class SlaFigures:
    remaining: int  # labels still to be counted toward the target now
    due: datetime | None = None
    forecast: CompletionForecast | None = None
    # The worst turnaround so far: push to the last label counted once all are in, push to now while some are open.
    turnaround_hours: float | None = None
    daily_throughput: Figure | None = None
    gold_accuracy: Figure | None = None
    qa_acceptance: Figure | None = None
    agreement: Figure | None = None


@dataclass(frozen=True)
class Reason:
    """One figure that crossed its threshold, with the numbers behind it (as recorded on the SLA event)."""

    figure: str
    verdict: str  # AT_RISK or BREACHED
    value: float | None  # for FORECAST: days needed (None: cannot finish); for DUE_DATE: labels remaining
    low: float | None  # the interval; for FORECAST the optimistic and pessimistic days
    high: float | None
    threshold: float | None  # the floor or limit; for FORECAST the days left until the due date
    message: str


@dataclass(frozen=True)
class SlaStatus:
    state: str
    since: datetime  # when this state began
    breach_started: datetime | None  # while breached or escalated
    reasons: tuple[Reason, ...]
    evaluated_at: datetime
    previous_state: str | None
    changed: bool


def assess(figures: SlaFigures, policy: SlaPolicy, now: datetime) -> tuple[Reason, ...]:
    """Every figure that is at risk or breached right now, schedule first, then turnaround, throughput, quality."""
    reasons = [
        _schedule_reason(figures, now),
        _turnaround_reason(figures.turnaround_hours, policy.turnaround_hours),
        _floor_reason(DAILY_THROUGHPUT, figures.daily_throughput, policy.min_daily_throughput),
        _floor_reason(GOLD_ACCURACY, figures.gold_accuracy, policy.min_gold_accuracy),
        _floor_reason(QA_ACCEPTANCE, figures.qa_acceptance, policy.min_qa_acceptance),
        _floor_reason(AGREEMENT, figures.agreement, policy.min_agreement),
    ]
    return tuple(reason for reason in reasons if reason is not None)


def evaluate(figures: SlaFigures, policy: SlaPolicy, previous: SlaStatus | None, now: datetime) -> SlaStatus:
    """The new status of one batch and vendor; `changed` says whether to record an event and notify."""
    if previous is not None and now < previous.evaluated_at:
        raise ValueError(f"evaluations must move forward in time: {now} is before {previous.evaluated_at}")
    reasons = assess(figures, policy, now)
    verdicts = {reason.verdict for reason in reasons}
    previous_state = previous.state if previous is not None else None
    in_breach = previous_state in _BREACH_STATES

    breach_started = None
    if BREACHED in verdicts or (in_breach and AT_RISK in verdicts):
        breach_started = (previous.breach_started if previous is not None and in_breach else None) or now
        state = ESCALATED if now - breach_started >= timedelta(hours=policy.grace_hours) else BREACHED
    elif AT_RISK in verdicts:
        state = AT_RISK
    elif previous_state in (*_TROUBLE_STATES, RESOLVED):
        state = RESOLVED
    else:
        state = ON_TRACK

    changed = state != previous_state
    # An unchanged state has a previous status: the first evaluation always changes.
    since = previous.since if previous is not None and not changed else now
    return SlaStatus(state, since, breach_started, reasons, now, previous_state, changed)


def _schedule_reason(figures: SlaFigures, now: datetime) -> Reason | None:
    if figures.due is None or figures.remaining <= 0:
        return None
    if now > figures.due:
        message = f"the due date {figures.due:%Y-%m-%d %H:%M} passed with {figures.remaining} labels remaining"
        return Reason(DUE_DATE, BREACHED, figures.remaining, None, None, 0, message)
    forecast = figures.forecast
    due_date = figures.due.date()
    if forecast is None or not misses_due(forecast, due_date):
        return None
    days_left = (due_date - forecast.as_of).days
    if forecast.completion_date is None:
        message = f"cannot finish {forecast.remaining} labels at the current rate before {due_date}"
    else:
        latest = forecast.pessimistic_date or "later"
        message = (
            f"forecast completion {forecast.completion_date} (range {forecast.optimistic_date} to {latest})"
            f" is after the due date {due_date}"
        )
    return Reason(
        FORECAST,
        AT_RISK,
        forecast.days_needed,
        forecast.optimistic_days,
        forecast.pessimistic_days,
        days_left,
        message,
    )


def _turnaround_reason(hours: float | None, limit: float | None) -> Reason | None:
    if hours is None or limit is None or hours <= limit:
        return None
    message = f"turnaround {hours:.1f} h exceeds the limit of {limit:g} h"
    return Reason(TURNAROUND_HOURS, BREACHED, hours, hours, hours, limit, message)


def _floor_reason(name: str, figure: Figure | None, floor: float | None) -> Reason | None:
    if figure is None or floor is None:
        return None
    assert figure.low is not None and figure.high is not None, "Figure.__post_init__ fills in its interval"
    if figure.low >= floor:
        return None
    verdict = BREACHED if figure.high < floor else AT_RISK
    where = "wholly below" if verdict == BREACHED else "crosses"
    message = (
        f"{name.replace('_', ' ')} {figure.value:.3g} (interval {figure.low:.3g} to {figure.high:.3g})"
        f" {where} the floor {floor:g}"
    )
    return Reason(name, verdict, figure.value, figure.low, figure.high, floor, message)
