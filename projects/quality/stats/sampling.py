"""QA sampling (pure): risk weights per annotation and a deterministic weighted sample without replacement.

A sample is built in three layers, each recorded in the reasons of what it drew:
1. `first_tasks`: every annotation among an annotator's first N tasks in the project (new people in full);
2. `annotator_minimum`: topped up, weighted, until each annotator has at least the minimum (or all they made);
3. `base_rate`: topped up, weighted, until the sample holds the base rate of the batch, and at least the
   minimum size the batch decision can accept from (`acceptance.minimum_sample_size`), or the whole batch.

Risk multiplies an annotation's weight, so risky work is likelier to be drawn in layers 2 and 3:
low gold accuracy, low agreement with the consensus, the annotator's anomaly flags (straight-lining,
gold-failure streaks, too fast, agreement drift: `anomalies.risk_weight_for`), all per annotator, and a
lead time far below the annotator's own median or their peers' median (per annotation). Weighted sampling without
replacement uses Efraimidis-Spirakis keys (u ** (1 / w)) from NumPy's generator seeded with the seed,
over annotations sorted by id: the same facts and seed always give the same sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from projects.quality.stats.anomalies import (
    AGREEMENT_DRIFT,
    FAST,
    GOLD_FAILURE_STREAK,
    STRAIGHT_LINING,
    Flag,
    risk_weight_for,
)

FIRST_TASKS = "first_tasks"
ANNOTATOR_MINIMUM = "annotator_minimum"
BASE_RATE = "base_rate"
LAYERS = (FIRST_TASKS, ANNOTATOR_MINIMUM, BASE_RATE)
LOW_GOLD_ACCURACY = "low_gold_accuracy"
LOW_AGREEMENT = "low_agreement"
FASTER_THAN_OWN_NORM = "faster_than_own_norm"
FASTER_THAN_PEERS = "faster_than_peers"
# The reason an annotator's anomaly flag adds, per flag kind.
FLAGGED = {
    FAST: "flagged_fast",
    STRAIGHT_LINING: "flagged_straight_lining",
    GOLD_FAILURE_STREAK: "flagged_gold_failure_streak",
    AGREEMENT_DRIFT: "flagged_agreement_drift",
}


@dataclass(frozen=True)
class SamplingSettings:
    rate: float  # share of the batch's annotations to draw, at least
    min_per_annotator: int = 5
    first_tasks_in_full: int = 20
    low_gold_accuracy: float = 0.8  # below this gold accuracy an annotator is risky...
    min_gold_seen: int = 5  # ...once they have seen this many gold judgements
    low_agreement: float = 0.7  # below this share of labels matching the consensus
    min_agreement_items: int = 5
    fast_factor: float = 0.5  # "far below the norm": under this share of the median lead time
    gold_weight: float = 3.0  # weight multipliers per risk signal
    agreement_weight: float = 3.0
    fast_weight: float = 2.0
    minimum_size: int = 0  # annotations to draw at least (or all there are): the sample the decision can accept

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"the sampling rate must be between 0 and 1, got {self.rate}")


@dataclass(frozen=True)
class AnnotatorFacts:
    annotator: int
    gold_accuracy: float | None = None
    gold_seen: int = 0
    consensus_agreement: float | None = None  # share of their labels equal to the consensus label
    agreement_items: int = 0
    flags: tuple[Flag, ...] = ()  # their anomaly flags (anomalies.flag_annotators)


@dataclass(frozen=True)
class AnnotationFacts:
    annotation: int
    annotator: int
    lead_time: float | None = None
    is_first_task: bool = False  # among the annotator's first N tasks in the project


@dataclass(frozen=True)
class RiskWeight:
    annotation: int
    annotator: int
    weight: float
    reasons: tuple[str, ...]  # the risk signals behind the weight


@dataclass(frozen=True)
class SampledAnnotation:
    annotation: int
    annotator: int
    weight: float
    reasons: tuple[str, ...]  # why it was drawn (layer), then its risk signals


@dataclass(frozen=True)
class AnnotatorWeight:
    """One annotator's place in the sample: mean risk weight, the signals seen, how much was drawn."""

    annotator: int
    annotations: int
    mean_weight: float
    reasons: tuple[str, ...]
    sampled: int = 0


@dataclass(frozen=True)
class Sample:
    items: list[SampledAnnotation]
    target: int  # base-rate size (or the minimum size); larger when first tasks and minimums need it
    annotators: list[AnnotatorWeight] = field(default_factory=list)


def annotator_risk(facts: AnnotatorFacts, settings: SamplingSettings) -> tuple[float, tuple[str, ...]]:
    """The weight multiplier and risk signals of an annotator: gold accuracy, agreement with consensus, flags."""
    weight, reasons = 1.0, []
    if (
        facts.gold_accuracy is not None
        and facts.gold_seen >= settings.min_gold_seen
        and facts.gold_accuracy < settings.low_gold_accuracy
    ):
        weight *= settings.gold_weight
        reasons.append(LOW_GOLD_ACCURACY)
    if (
        facts.consensus_agreement is not None
        and facts.agreement_items >= settings.min_agreement_items
        and facts.consensus_agreement < settings.low_agreement
    ):
        weight *= settings.agreement_weight
        reasons.append(LOW_AGREEMENT)
    if facts.flags:
        weight *= risk_weight_for(facts.flags)
        reasons.extend(FLAGGED[kind] for kind in dict.fromkeys(flag.kind for flag in facts.flags) if kind in FLAGGED)
    return weight, tuple(reasons)


@dataclass(frozen=True)
class AnnotationColumns:
    """`AnnotationFacts` of many annotations column-wise: what the services hand over for a batch."""

    annotation: np.ndarray  # int64
    annotator: np.ndarray  # int64
    lead_time: np.ndarray  # float, NaN where unknown
    is_first_task: np.ndarray  # bool

    @classmethod
    def from_facts(cls, annotations: Sequence[AnnotationFacts]) -> AnnotationColumns:
        return cls(
            annotation=np.array([facts.annotation for facts in annotations], dtype=np.int64),
            annotator=np.array([facts.annotator for facts in annotations], dtype=np.int64),
            lead_time=np.array(
                [np.nan if facts.lead_time is None else facts.lead_time for facts in annotations], dtype=float
            ),
            is_first_task=np.array([facts.is_first_task for facts in annotations], dtype=bool),
        )


@dataclass(frozen=True)
class RiskColumns:
    """Risk weights column-wise, annotations in id order; an annotation's signals are `variants[variant]`."""

    annotation: np.ndarray
    annotator: np.ndarray
    weight: np.ndarray
    variant: np.ndarray  # per annotation, a position in `variants`
    variants: list[tuple[str, ...]]
    is_first_task: np.ndarray

    def reasons(self, position: int) -> tuple[str, ...]:
        return self.variants[self.variant[position]]


def risk_weights(
    annotations: Sequence[AnnotationFacts], annotators: Iterable[AnnotatorFacts], settings: SamplingSettings
) -> list[RiskWeight]:
    """Each annotation's risk weight (1 = no signal) and the signals behind it, in annotation id order.

    "Far below the norm" compares a lead time with the annotator's own median and with the median of
    everyone else's lead times in the same set of annotations; each breach is its own signal.
    """
    risks = risk_columns(AnnotationColumns.from_facts(annotations), annotators, settings)
    return [
        RiskWeight(annotation, annotator, weight, risks.variants[variant])
        for annotation, annotator, weight, variant in zip(
            risks.annotation.tolist(),
            risks.annotator.tolist(),
            risks.weight.tolist(),
            risks.variant.tolist(),
            strict=True,
        )
    ]


def risk_columns(
    annotations: AnnotationColumns, annotators: Iterable[AnnotatorFacts], settings: SamplingSettings
) -> RiskColumns:
    """`risk_weights` column-wise."""
    order = np.argsort(annotations.annotation, kind="stable")
    annotation, annotator = annotations.annotation[order], annotations.annotator[order]
    times, first = annotations.lead_time[order], annotations.is_first_task[order]
    people, who = np.unique(annotator, return_inverse=True)
    own_limit, peer_limit = _fast_limits(times, who, len(people), settings)
    by_annotator = {facts.annotator: facts for facts in annotators}
    risks = [annotator_risk(by_annotator.get(person, AnnotatorFacts(person)), settings) for person in people.tolist()]
    # Each annotation takes one of four variants of its annotator's risk: fast or not against each norm.
    # NaN (no lead time, no median) is never below a limit.
    faster_than_own = times < own_limit[who]
    faster_than_peers = times < peer_limit[who]
    variant = who * 4 + faster_than_own * 2 + faster_than_peers
    variants = [
        _fast_variant(risk, bool(own), bool(peers), settings)
        for risk in risks
        for own in (False, True)
        for peers in (False, True)
    ]
    weights = np.array([weight for weight, _ in variants], dtype=float)
    return RiskColumns(annotation, annotator, weights[variant], variant, [reasons for _, reasons in variants], first)


def _fast_limits(
    times: np.ndarray, who: np.ndarray, people: int, settings: SamplingSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Per annotator, the "fast" lead time against their own median and against everyone else's; NaN without one.

    Medians as `np.median` takes them (the middle value, or the mean of the two middle ones), from one sort of
    every lead time: an annotator's own are a run of it, everyone else's the rest of it in order.
    """
    known = ~np.isnan(times)
    order = np.lexsort((times[known], who[known]))
    owners, sorted_by_owner = who[known][order], times[known][order]
    counts = np.bincount(owners, minlength=people)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    by_time = np.argsort(times[known], kind="stable")
    everyone, owner_by_time = times[known][by_time], who[known][by_time]
    own_limit = np.full(people, np.nan)
    peer_limit = np.full(people, np.nan)
    timed = np.flatnonzero(counts)
    for person in timed.tolist():
        own_limit[person] = settings.fast_factor * _middle(
            sorted_by_owner[starts[person] : starts[person] + counts[person]]
        )
        if len(timed) > 1:
            peer_limit[person] = settings.fast_factor * _middle(everyone[owner_by_time != person])
    return own_limit, peer_limit


def _middle(ordered: np.ndarray) -> float:
    """The median of values already in order, as `np.median` computes it."""
    half = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[half])
    return float(np.mean(ordered[half - 1 : half + 1]))


def _fast_variant(
    risk: tuple[float, tuple[str, ...]], faster_than_own: bool, faster_than_peers: bool, settings: SamplingSettings
) -> tuple[float, tuple[str, ...]]:
    weight, reasons = risk
    if faster_than_own:
        weight *= settings.fast_weight
        reasons = (*reasons, FASTER_THAN_OWN_NORM)
    if faster_than_peers:
        weight *= settings.fast_weight
        reasons = (*reasons, FASTER_THAN_PEERS)
    return weight, reasons


def weighted_sample_without_replacement(
    weights: Sequence[float] | np.ndarray, size: int, generator: np.random.Generator
) -> list[int]:
    """Indexes of `size` positions drawn without replacement, each with probability proportional to its weight.

    Efraimidis-Spirakis: key = u ** (1 / w), keep the largest keys; compared in log space for stability.
    """
    if size <= 0 or not len(weights):
        return []
    values = np.asarray(weights, dtype=float)
    if np.any(values <= 0):
        raise ValueError("weights must be positive")
    uniforms = generator.random(len(values))
    keys = np.log(np.maximum(uniforms, np.finfo(float).tiny)) / values
    order = np.argsort(-keys, kind="stable")
    return [int(index) for index in order[: min(size, len(values))]]


def draw_sample(
    annotations: Sequence[AnnotationFacts],
    annotators: Iterable[AnnotatorFacts],
    settings: SamplingSettings,
    seed: int,
) -> Sample:
    """The QA sample of a batch: first tasks in full, a minimum per annotator, then the base rate; deterministic."""
    return draw_sample_columns(AnnotationColumns.from_facts(annotations), annotators, settings, seed)


def draw_sample_columns(
    annotations: AnnotationColumns, annotators: Iterable[AnnotatorFacts], settings: SamplingSettings, seed: int
) -> Sample:
    """`draw_sample` of annotations given column-wise."""
    risks = risk_columns(annotations, annotators, settings)
    generator = np.random.default_rng(seed)
    target = min(
        len(risks.annotation), max(math.ceil(settings.rate * len(risks.annotation) - 1e-9), settings.minimum_size)
    )
    layer = np.where(risks.is_first_task, 0, -1)  # per annotation: its layer in LAYERS, -1 while not drawn

    # One generator for the whole draw, annotators in id order, so the draw is reproducible.
    people, who = np.unique(risks.annotator, return_inverse=True)
    grouped = np.argsort(who, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(who, minlength=len(people)))]
    for person in range(len(people)):
        positions = grouped[bounds[person] : bounds[person + 1]]
        missing = settings.min_per_annotator - int(np.count_nonzero(layer[positions] >= 0))
        remaining = positions[layer[positions] < 0]
        picked = weighted_sample_without_replacement(risks.weight[remaining], missing, generator)
        layer[remaining[picked]] = 1

    remaining = np.flatnonzero(layer < 0)
    picked = weighted_sample_without_replacement(
        risks.weight[remaining], target - int(np.count_nonzero(layer >= 0)), generator
    )
    layer[remaining[picked]] = 2

    drawn = np.flatnonzero(layer >= 0)
    reasons = {}  # (layer, variant) → the item's reasons: few distinct ones
    items = []
    for position, annotation, annotator, weight, drawn_layer, variant in zip(
        drawn.tolist(),
        risks.annotation[drawn].tolist(),
        risks.annotator[drawn].tolist(),
        risks.weight[drawn].tolist(),
        layer[drawn].tolist(),
        risks.variant[drawn].tolist(),
        strict=True,
    ):
        key = (drawn_layer, variant)
        if key not in reasons:
            reasons[key] = (LAYERS[drawn_layer], *risks.reasons(position))
        items.append(SampledAnnotation(annotation, annotator, weight, reasons[key]))
    return Sample(items=items, target=target, annotators=summarise_columns(risks, layer >= 0))


def summarise_columns(risks: RiskColumns, drawn: np.ndarray) -> list[AnnotatorWeight]:
    """`summarise` of risk weights given column-wise, `drawn` marking the sampled annotations."""
    people, who = np.unique(risks.annotator, return_inverse=True)
    grouped = np.argsort(who, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(who, minlength=len(people)))]
    summary = []
    for person, annotator in enumerate(people.tolist()):
        positions = grouped[bounds[person] : bounds[person + 1]]
        variants, first_seen = np.unique(risks.variant[positions], return_index=True)
        seen = [risks.variants[variant] for variant in variants[np.argsort(first_seen)].tolist()]
        summary.append(
            AnnotatorWeight(
                annotator=annotator,
                annotations=len(positions),
                mean_weight=float(np.mean(risks.weight[positions])),
                reasons=tuple(dict.fromkeys(reason for reasons in seen for reason in reasons)),
                sampled=int(np.count_nonzero(drawn[positions])),
            )
        )
    return summary
