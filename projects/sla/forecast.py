"""Completion forecast and capacity (pure): smoothed throughput, completion date with a range, headcount, what-if.

Throughput is labels counted toward the batch's target per day (live, not sent back to rework, at most the
overlap per task), oldest day first, starting on the first day the vendor had the work. `remaining` is the labels
still to be counted at the end of `as_of`, the last day in that series; forecast days are as_of + 1, as_of + 2, ...
and a completion date means "the last label counted by the end of that day".
Built from complete days only, a forecast moves once a day, not with every label, so it cannot flap hourly.

Days are calendar days. Vendors here work in shifts through weekends and SLA due dates are calendar dates; a
working-day calendar would need a holiday table per vendor for little gain. A vendor that rests on weekends shows
it in its own history: the zero days lower the smoothed rate and widen the range.

Smoothed rate: an exponentially weighted mean of the last `window_days` days, a day's weight halving every
`half_life_days` of age. With the defaults (14 days, half-life 7) yesterday counts twice as much as a week ago
and four times as much as two weeks ago: "about the last two weeks, recent days counting more". Holt's linear
trend was not chosen: it extrapolates a slowdown into a rate heading for zero, which a PM cannot check by hand.

Range: replay history. Each simulated future day draws one of the window's days at random, with the same weights
as the smoothed rate (so a simulated day averages the smoothed rate), until the remaining work is done; the
optimistic and pessimistic dates are the 10th and 90th percentiles of the simulated finish days, widened if need
be to contain the point date. Seeded: the same history always gives the same range.

No history gives no forecast (NO_HISTORY): there is nothing to judge the vendor by. A zero rate, or one so low
that the work needs more than `max_horizon_days`, is CANNOT_FINISH: "cannot finish at the current rate".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import ArrayLike

DONE = "done"
FORECAST = "forecast"
NO_HISTORY = "no_history"
CANNOT_FINISH = "cannot_finish"

DEFAULT_WINDOW_DAYS = 14
DEFAULT_HALF_LIFE_DAYS = 7.0
DEFAULT_MAX_HORIZON_DAYS = 3650
# Rates are floats: 4500 / (10 * 45.0) must count as 10 days or annotators, not 11.
_RELATIVE_TOLERANCE = 1e-12
_SIMULATION_CELLS_PER_CHUNK = 1_000_000


@dataclass(frozen=True)
class CompletionForecast:
    status: str  # DONE, FORECAST, NO_HISTORY or CANNOT_FINISH
    remaining: int
    as_of: date
    daily_rate: float | None  # smoothed labels counted per day; None without history
    days_needed: int | None  # None unless DONE or FORECAST
    optimistic_days: int | None
    pessimistic_days: int | None  # None also when the slowest simulations ran past the horizon

    @property
    def completion_date(self) -> date | None:
        return _after(self.as_of, self.days_needed)

    @property
    def optimistic_date(self) -> date | None:
        return _after(self.as_of, self.optimistic_days)

    @property
    def pessimistic_date(self) -> date | None:
        return _after(self.as_of, self.pessimistic_days)


@dataclass(frozen=True)
class HeadcountPlan:
    needed: int | None  # annotators in total; None when no headcount can meet the due date (see reason)
    current_headcount: int
    additional: int | None  # annotators to add; 0 when the current headcount is enough
    days_available: int
    per_annotator_daily_capacity: float
    required_daily_rate: float | None
    reason: str | None = None


@dataclass(frozen=True)
class WhatIf:
    daily_rate: float
    add_annotators: int
    days_needed: int | None  # None: cannot finish at this rate
    completion_date: date | None
    due: date | None
    misses_due: bool | None  # None without a due date


def smoothed_rate(
    daily_counted: ArrayLike,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> float | None:
    """Exponentially weighted mean of the last `window_days` daily counts; None without history."""
    recent = _recent_days(daily_counted, window_days)
    if recent.size == 0:
        return None
    weights = _day_weights(recent.size, half_life_days)
    return float(np.dot(recent, weights) / weights.sum())


def forecast_completion(
    daily_counted: ArrayLike,
    *,
    remaining: int,
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    low_quantile: float = 0.1,
    high_quantile: float = 0.9,
    draws: int = 2000,
    seed: int = 0,
    max_horizon_days: int = DEFAULT_MAX_HORIZON_DAYS,
) -> CompletionForecast:
    """Completion date for `remaining` at the smoothed rate, with an optimistic-pessimistic range from replayed days."""
    if remaining < 0:
        raise ValueError(f"remaining must not be negative, got {remaining}")
    if not 0 <= low_quantile <= high_quantile <= 1:
        raise ValueError(f"need 0 <= low_quantile <= high_quantile <= 1, got {low_quantile} and {high_quantile}")
    recent = _recent_days(daily_counted, window_days)
    rate = smoothed_rate(recent, window_days=window_days, half_life_days=half_life_days)
    if remaining == 0:
        return CompletionForecast(DONE, 0, as_of, rate, 0, 0, 0)
    if rate is None:
        return CompletionForecast(NO_HISTORY, remaining, as_of, None, None, None, None)
    days_needed = days_to_finish(remaining, rate)
    if days_needed is None or days_needed > max_horizon_days:
        return CompletionForecast(CANNOT_FINISH, remaining, as_of, rate, None, None, None)

    # A simulation that has not finished by four times the point forecast (plus a window) counts as "later".
    horizon = min(max_horizon_days, 4 * days_needed + window_days)
    finish_days = _simulated_finish_days(
        recent, _day_weights(recent.size, half_life_days), remaining, draws=draws, seed=seed, horizon=horizon
    )
    optimistic, pessimistic = np.quantile(finish_days, [low_quantile, high_quantile], method="inverted_cdf")
    return CompletionForecast(
        FORECAST,
        remaining,
        as_of,
        rate,
        days_needed,
        min(int(optimistic), days_needed),
        max(int(pessimistic), days_needed) if math.isfinite(pessimistic) else None,
    )


def misses_due(forecast: CompletionForecast, due: date) -> bool | None:
    """Whether the point forecast lands after `due`; None when there is no forecast (no history)."""
    if forecast.status == DONE:
        return False
    if forecast.status == CANNOT_FINISH:
        return True
    if forecast.status == NO_HISTORY:
        return None
    completion = forecast.completion_date
    assert completion is not None, "a FORECAST always has its days needed"
    return completion > due


def days_to_finish(remaining: float, daily_rate: float) -> int | None:
    """Whole days to accept `remaining` at `daily_rate`; None when the rate is zero (never)."""
    if remaining <= 0:
        return 0
    if daily_rate <= 0:
        return None
    return _ceil(remaining / daily_rate)


def headcount_needed(
    *,
    remaining: int,
    as_of: date,
    due: date,
    per_annotator_hourly_rate: float,
    hours_per_day: float,
    current_headcount: int,
    current_daily_rate: float | None = None,
) -> HeadcountPlan:
    """Annotators needed to make `remaining` labels count by the end of `due`, working from the day after `as_of`.

    The rate is measured labels per annotator-hour (so rework is already priced in), times the hours an
    annotator works a day. New annotators are assumed as productive as the measured ones: no ramp-up is modelled.

    With `current_daily_rate` (the batch's forecast pace), the current team is taken at that pace rather than at
    full capacity, and the plan adds what closes the gap: exactly what `what_if` needs to meet the due date, so the
    two never disagree. Without it, every annotator counts at full capacity.
    """
    if current_headcount < 0:
        raise ValueError(f"current_headcount must not be negative, got {current_headcount}")
    if hours_per_day < 0 or per_annotator_hourly_rate < 0:
        raise ValueError("the per-annotator rate and hours per day must not be negative")
    capacity = per_annotator_hourly_rate * hours_per_day
    days_available = (due - as_of).days

    def plan(
        *, needed: int | None, additional: int | None, required_daily_rate: float | None, reason: str | None = None
    ) -> HeadcountPlan:
        return HeadcountPlan(
            needed=needed,
            current_headcount=current_headcount,
            additional=additional,
            days_available=days_available,
            per_annotator_daily_capacity=capacity,
            required_daily_rate=required_daily_rate,
            reason=reason,
        )

    if remaining <= 0:
        return plan(needed=0, additional=0, required_daily_rate=0.0)
    if days_available <= 0:
        reason = f"the due date {due} leaves no day after {as_of} to work"
        return plan(needed=None, additional=None, required_daily_rate=None, reason=reason)
    required = remaining / days_available
    if capacity <= 0:
        reason = "no measured productivity: an annotator adds nothing per day"
        return plan(needed=None, additional=None, required_daily_rate=required, reason=reason)
    if current_daily_rate is not None:
        additional = _ceil(max(0.0, required - current_daily_rate) / capacity)
        return plan(needed=current_headcount + additional, additional=additional, required_daily_rate=required)
    needed = _ceil(required / capacity)
    return plan(needed=needed, additional=max(0, needed - current_headcount), required_daily_rate=required)


def what_if(
    forecast: CompletionForecast,
    *,
    add_annotators: int = 0,
    per_annotator_hourly_rate: float = 0.0,
    hours_per_day: float = 0.0,
    due: date | None = None,
) -> WhatIf:
    """The forecast again with `add_annotators` more (fewer if negative) and against a moved `due` date.

    Added annotators add their measured capacity to the smoothed rate; without history the base rate is taken as
    zero, so only the added annotators count.
    """
    capacity = per_annotator_hourly_rate * hours_per_day
    if add_annotators and capacity <= 0:
        raise ValueError("adding annotators needs a positive per-annotator rate and hours per day")
    rate = max(0.0, (forecast.daily_rate or 0.0) + add_annotators * capacity)
    days_needed = days_to_finish(forecast.remaining, rate)
    completion = _after(forecast.as_of, days_needed)
    missed = None if due is None else completion is None or completion > due
    return WhatIf(rate, add_annotators, days_needed, completion, due, missed)


def _recent_days(daily_counted: ArrayLike, window_days: int) -> np.ndarray:
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    days = np.asarray(daily_counted, dtype=float)
    if days.ndim != 1:
        raise ValueError("daily_counted must be a flat sequence of daily counts")
    if (days < 0).any() or not np.isfinite(days).all():
        raise ValueError("daily counts must be finite and not negative")
    return days[-window_days:]


def _day_weights(count: int, half_life_days: float) -> np.ndarray:
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    ages = np.arange(count - 1, -1, -1, dtype=float)  # the newest day has age 0
    return 0.5 ** (ages / half_life_days)


def _simulated_finish_days(
    rates: np.ndarray, weights: np.ndarray, remaining: int, *, draws: int, seed: int, horizon: int
) -> np.ndarray:
    """Finish day of each of `draws` replays of weighted random past days; inf when not done within `horizon`."""
    rng = np.random.default_rng(seed)
    probabilities = weights / weights.sum()
    chunk = max(1, _SIMULATION_CELLS_PER_CHUNK // horizon)
    finish_days = []
    for start in range(0, draws, chunk):
        picks = rng.choice(rates.size, size=(min(chunk, draws - start), horizon), p=probabilities)
        finished = np.cumsum(rates[picks], axis=1) >= remaining * (1 - _RELATIVE_TOLERANCE)
        first = np.argmax(finished, axis=1) + 1.0
        finish_days.append(np.where(finished.any(axis=1), first, np.inf))
    return np.concatenate(finish_days)


def _ceil(value: float) -> int:
    return math.ceil(value * (1 - _RELATIVE_TOLERANCE))


def _after(as_of: date, days: int | None) -> date | None:
    return None if days is None else as_of + timedelta(days=days)
