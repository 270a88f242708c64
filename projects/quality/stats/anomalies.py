"""Anomaly flags per annotator (pure): fast work, straight-lining, gold-failure streaks, agreement drift.

Input is one plain row per live annotation (`AnnotationRow`); output is, per annotator, the flags raised, each with
a sentence saying why and the figures behind it, so a PM can check it by hand.

- fast: the annotator's recent median lead time (their last `recent_items` annotations) is under `fast_vs_peers`
  of everyone else's median, and either under `fast_vs_own` of their own earlier median (they sped up) or their
  earlier median was already under `fast_vs_peers` of the peers' (always that fast). Someone with fewer than
  `min_baseline_items` earlier annotations has no norm of their own yet: the peers' median decides alone.
- straight_lining: on one control, one label takes at least `straight_share` of the annotator's answers (with
  at least `straight_min_items` answers) while that label's base rate among everyone else's answers on the control
  is at most `straight_base_rate`. Comparing with the others keeps a spammer from raising the base rate.
- gold_failure_streak: at least `gold_streak` gold tasks failed in a row (by time); the longest streak is reported.
- agreement_drift: agreement with the consensus on the last `recent_items` judged annotations is below the
  earlier agreement by at least `drift_margin`, both with at least `drift_min_items` annotations, and the drop is
  unlikely to be chance (one-sided two-proportion z >= `drift_z`, about p < 0.0015).

`agreement_with_consensus` gives the rows' `agrees`: an annotation agrees when, on every control where the other
annotators of the task agree among themselves (a strict majority of them), it gives their label.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

FAST = "fast"
STRAIGHT_LINING = "straight_lining"
GOLD_FAILURE_STREAK = "gold_failure_streak"
AGREEMENT_DRIFT = "agreement_drift"

# Multipliers of an annotator's QA sampling weight per flag kind; a gold streak and straight-lining are the
# strongest evidence of careless work, speed and drift the weaker.
RISK_WEIGHTS: dict[str, float] = {FAST: 2.0, STRAIGHT_LINING: 3.0, GOLD_FAILURE_STREAK: 3.0, AGREEMENT_DRIFT: 2.0}


@dataclass(frozen=True)
class AnomalyThresholds:
    """When a flag is raised; the defaults keep careful annotators of a few dozen tasks unflagged by chance."""

    recent_items: int = 30  # the "recent" work: an annotator's last N annotations
    min_recent_items: int = 10  # fewer recent annotations than this: no fast flag
    min_baseline_items: int = 30  # earlier annotations needed for a norm of one's own
    fast_vs_peers: float = 0.5  # recent median lead time under this share of the peers' median...
    fast_vs_own: float = 0.6  # ...and under this share of one's own earlier median
    straight_share: float = 0.8  # one label's share of an annotator's answers on a control, at least
    straight_base_rate: float = 0.4  # ...where the others give it at most this share
    straight_min_items: int = 20
    gold_streak: int = 4  # gold failures in a row
    drift_margin: float = 0.15  # recent agreement below the earlier by at least this
    drift_min_items: int = 20  # judged annotations needed in each of the recent and earlier sets
    drift_z: float = 3.0

    def __post_init__(self) -> None:
        for name in ("fast_vs_peers", "fast_vs_own", "straight_share", "straight_base_rate", "drift_margin"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if self.gold_streak < 1 or self.recent_items < 1:
            raise ValueError("gold_streak and recent_items must be at least 1")


@dataclass(frozen=True)
class AnnotationRow:
    annotator: Hashable
    created_at: datetime
    lead_time: float | None
    labels: Mapping[str, str]  # control name → label given
    gold_correct: bool | None = None  # None: not a gold task
    agrees: bool | None = None  # with the consensus of the task's other annotators; None: no consensus


@dataclass(frozen=True)
class Flag:
    kind: str
    reason: str
    figures: dict[str, object] = field(default_factory=dict)


def flag_annotators(
    rows: Iterable[AnnotationRow], *, thresholds: AnomalyThresholds | None = None
) -> dict[Hashable, list[Flag]]:
    """The flags of every annotator that has any, in the order fast, straight-lining, gold streak, drift."""
    thresholds = thresholds or AnomalyThresholds()
    by_annotator: dict[Hashable, list[AnnotationRow]] = defaultdict(list)
    for row in rows:
        by_annotator[row.annotator].append(row)
    for annotator_rows in by_annotator.values():
        annotator_rows.sort(key=lambda row: row.created_at)
    label_counts = _label_counts(by_annotator)
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    for counts in label_counts.values():
        for control, labels in counts.items():
            totals[control].update(labels)
    lead_times = {
        annotator: [row.lead_time for row in annotator_rows if row.lead_time is not None]
        for annotator, annotator_rows in by_annotator.items()
    }
    everyone = np.sort(np.fromiter((time for times in lead_times.values() for time in times), dtype=float))
    flags: dict[Hashable, list[Flag]] = {}
    for annotator, annotator_rows in by_annotator.items():
        peer_median = _median_without(everyone, np.sort(np.asarray(lead_times[annotator], dtype=float)))
        candidates = [
            _fast(lead_times[annotator], peer_median, thresholds),
            *_straight_lining(label_counts[annotator], totals, thresholds),
            _gold_failure_streak(annotator_rows, thresholds),
            _agreement_drift(annotator_rows, thresholds),
        ]
        found = [flag for flag in candidates if flag is not None]
        if found:
            flags[annotator] = found
    return flags


def risk_weight_for(flags: Sequence[Flag]) -> float:
    """The QA sampling weight multiplier for an annotator's flags: the product of each kind's weight, 1 for none."""
    weight = 1.0
    for kind in {flag.kind for flag in flags}:
        weight *= RISK_WEIGHTS.get(kind, 1.0)
    return weight


def agreement_with_consensus(
    labels: Iterable[tuple[Hashable, Hashable, Mapping[str, str]]],
) -> dict[Hashable, bool | None]:
    """Per annotation key: whether it agrees with the task's other annotators; None where they have no consensus.

    `labels` holds (annotation key, task, control → label). On each control the others' consensus is a label
    given by more than half of them; the annotation agrees when it matches every consensus the task has.
    """
    by_task: dict[Hashable, list[tuple[Hashable, Mapping[str, str]]]] = defaultdict(list)
    for key, task, answer in labels:
        by_task[task].append((key, answer))
    agrees: dict[Hashable, bool | None] = {}
    for task_annotations in by_task.values():
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for _, answer in task_annotations:
            for control, label in answer.items():
                counts[control][label] += 1
        # The two most given labels per control are enough to find the others' majority without each one's own.
        leaders = {control: control_counts.most_common(2) for control, control_counts in counts.items()}
        others = len(task_annotations) - 1
        for key, answer in task_annotations:
            verdict: bool | None = None
            for control, top in leaders.items():
                own = answer.get(control)
                leader, count = _others_leader(top, own)
                if others < 1 or count * 2 <= others:
                    continue
                verdict = (verdict is not False) and own == leader
            agrees[key] = verdict
    return agrees


def _others_leader(top: list[tuple[str, int]], own: str | None) -> tuple[str | None, int]:
    """The label most given by the others, and how often, from the two most given labels including one's own."""
    label, count = top[0]
    if own != label:
        return label, count
    runner_up = top[1] if len(top) > 1 else (None, 0)
    return (label, count - 1) if count - 1 >= runner_up[1] else runner_up


def _label_counts(by_annotator: Mapping[Hashable, list[AnnotationRow]]) -> dict[Hashable, dict[str, Counter[str]]]:
    counts: dict[Hashable, dict[str, Counter[str]]] = {}
    for annotator, annotator_rows in by_annotator.items():
        per_control: dict[str, Counter[str]] = defaultdict(Counter)
        for row in annotator_rows:
            for control, label in row.labels.items():
                per_control[control][label] += 1
        counts[annotator] = per_control
    return counts


def _median_without(everyone: np.ndarray, own: np.ndarray) -> float | None:
    """The median of `everyone` (sorted) once `own` (sorted, a sub-multiset) is taken out; None when nothing is left.

    Order statistics by binary search, so each annotator costs O(log² n) rather than a pass over everyone's times.
    """
    size = everyone.size - own.size
    if size <= 0:
        return None

    def smallest(rank: int) -> float:
        # The lowest position whose value has more than `rank` of the others' times at or below it.
        low, high = 0, everyone.size - 1
        while low < high:
            middle = (low + high) // 2
            value = everyone[middle]
            below = np.searchsorted(everyone, value, "right") - np.searchsorted(own, value, "right")
            if below > rank:
                high = middle
            else:
                low = middle + 1
        return float(everyone[low])

    if size % 2:
        return smallest(size // 2)
    return (smallest(size // 2 - 1) + smallest(size // 2)) / 2


def _fast(own: list[float], peer_median: float | None, thresholds: AnomalyThresholds) -> Flag | None:
    recent, earlier = own[-thresholds.recent_items :], own[: -thresholds.recent_items]
    if len(recent) < thresholds.min_recent_items or peer_median is None:
        return None
    recent_median = statistics.median(recent)
    if peer_median <= 0 or recent_median >= thresholds.fast_vs_peers * peer_median:
        return None
    vs_peers = recent_median / peer_median
    figures: dict[str, object] = {
        "recent_median_seconds": round(recent_median, 1),
        "peer_median_seconds": round(peer_median, 1),
        "ratio_to_peers": round(vs_peers, 2),
    }
    reason = f"recent median lead time {recent_median:.0f} s is {vs_peers:.2f}× the peers' median {peer_median:.0f} s"
    if len(earlier) < thresholds.min_baseline_items:
        return Flag(FAST, f"{reason} (no earlier norm of their own yet)", figures)
    own_median = statistics.median(earlier)
    vs_own = recent_median / own_median if own_median > 0 else 1.0
    figures |= {"own_earlier_median_seconds": round(own_median, 1), "ratio_to_own": round(vs_own, 2)}
    if vs_own < thresholds.fast_vs_own:
        return Flag(FAST, f"{reason} and {vs_own:.2f}× their own earlier median {own_median:.0f} s", figures)
    if own_median < thresholds.fast_vs_peers * peer_median:
        return Flag(FAST, f"{reason}; their earlier median {own_median:.0f} s was as fast", figures)
    return None


def _straight_lining(
    own: Mapping[str, Counter[str]], totals: Mapping[str, Counter[str]], thresholds: AnomalyThresholds
) -> list[Flag]:
    flags = []
    for control, counts in sorted(own.items()):
        answered = sum(counts.values())
        if answered < thresholds.straight_min_items:
            continue
        label, count = counts.most_common(1)[0]
        share = count / answered
        others_answered = sum(totals[control].values()) - answered
        if share < thresholds.straight_share or others_answered <= 0:
            continue
        base_rate = (totals[control][label] - count) / others_answered
        if base_rate > thresholds.straight_base_rate:
            continue
        reason = (
            f"{control}: answered {label!r} {count} of {answered} times ({share:.0%}); "
            f"the others' base rate is {base_rate:.0%}"
        )
        figures = {"control": control, "label": label, "count": count, "share": round(share, 3)}
        flags.append(Flag(STRAIGHT_LINING, reason, figures | {"base_rate": round(base_rate, 3)}))
    return flags


def _gold_failure_streak(rows: Sequence[AnnotationRow], thresholds: AnomalyThresholds) -> Flag | None:
    longest: list[AnnotationRow] = []
    current: list[AnnotationRow] = []
    for row in rows:
        if row.gold_correct is None:
            continue
        if row.gold_correct:
            current = []
            continue
        current.append(row)
        if len(current) > len(longest):
            longest = list(current)
    if len(longest) < thresholds.gold_streak:
        return None
    started, ended = longest[0].created_at, longest[-1].created_at
    reason = f"failed {len(longest)} gold tasks in a row, {started:%Y-%m-%d %H:%M} to {ended:%Y-%m-%d %H:%M}"
    return Flag(GOLD_FAILURE_STREAK, reason, {"streak": len(longest), "started": started, "ended": ended})


def _agreement_drift(rows: Sequence[AnnotationRow], thresholds: AnomalyThresholds) -> Flag | None:
    judged = [row.agrees for row in rows if row.agrees is not None]
    recent, earlier = judged[-thresholds.recent_items :], judged[: -thresholds.recent_items]
    if len(recent) < thresholds.drift_min_items or len(earlier) < thresholds.drift_min_items:
        return None
    recent_share, earlier_share = sum(recent) / len(recent), sum(earlier) / len(earlier)
    drop = earlier_share - recent_share
    if drop < thresholds.drift_margin:
        return None
    pooled = (sum(recent) + sum(earlier)) / (len(recent) + len(earlier))
    spread = math.sqrt(pooled * (1 - pooled) * (1 / len(recent) + 1 / len(earlier)))
    if spread == 0 or drop / spread < thresholds.drift_z:
        return None
    reason = (
        f"agreement with the consensus fell to {recent_share:.0%} on the last {len(recent)} annotations "
        f"from {earlier_share:.0%} on the {len(earlier)} before"
    )
    figures: dict[str, object] = {
        "recent_agreement": round(recent_share, 3),
        "baseline_agreement": round(earlier_share, 3),
        "recent_items": len(recent),
        "baseline_items": len(earlier),
    }
    return Flag(AGREEMENT_DRIFT, reason, figures)
