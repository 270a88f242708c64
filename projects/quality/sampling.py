"""QA sampling (pure): risk weights per annotation and a deterministic weighted sample without replacement.

A sample is built in three layers, each recorded in the reasons of what it drew:
1. `first_tasks`: every annotation among an annotator's first N tasks in the project (new people in full);
2. `annotator_minimum`: topped up, weighted, until each annotator has at least the minimum (or all they made);
3. `base_rate`: topped up, weighted, until the sample holds the base rate of the batch.

Risk multiplies an annotation's weight, so risky work is likelier to be drawn in layers 2 and 3:
low gold accuracy, low agreement with the consensus (both per annotator), and a lead time far below
the annotator's own median or their peers' median (per annotation). Weighted sampling without
replacement uses Efraimidis-Spirakis keys (u ** (1 / w)) from NumPy's generator seeded with the seed,
over annotations sorted by id: the same facts and seed always give the same sample.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

FIRST_TASKS = "first_tasks"
ANNOTATOR_MINIMUM = "annotator_minimum"
BASE_RATE = "base_rate"
LOW_GOLD_ACCURACY = "low_gold_accuracy"
LOW_AGREEMENT = "low_agreement"
FASTER_THAN_OWN_NORM = "faster_than_own_norm"
FASTER_THAN_PEERS = "faster_than_peers"


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
    target: int  # base-rate size; the sample is larger when first tasks and minimums need it
    annotators: list[AnnotatorWeight] = field(default_factory=list)


def _median(values: Sequence[float]) -> float | None:
    # np.median: the middle value, or the mean of the two middle ones, as statistics.median, without a sort.
    return float(np.median(np.asarray(values, dtype=float))) if len(values) else None


def annotator_risk(facts: AnnotatorFacts, settings: SamplingSettings) -> tuple[float, tuple[str, ...]]:
    """The weight multiplier and risk signals of an annotator, from gold accuracy and agreement with consensus."""
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
    return weight, tuple(reasons)


def risk_weights(
    annotations: Sequence[AnnotationFacts], annotators: Iterable[AnnotatorFacts], settings: SamplingSettings
) -> list[RiskWeight]:
    """Each annotation's risk weight (1 = no signal) and the signals behind it, in annotation id order.

    "Far below the norm" compares a lead time with the annotator's own median and with the median of
    everyone else's lead times in the same set of annotations; each breach is its own signal.
    """
    by_annotator = {facts.annotator: facts for facts in annotators}
    lead_times: dict[int, list[float]] = defaultdict(list)
    for facts in annotations:
        if facts.lead_time is not None:
            lead_times[facts.annotator].append(facts.lead_time)
    own_median = {annotator: _median(times) for annotator, times in lead_times.items()}
    everyone = np.array([time for times in lead_times.values() for time in times], dtype=float)
    owners = np.repeat(np.arange(len(lead_times)), [len(times) for times in lead_times.values()])
    peer_median = {
        annotator: float(np.median(everyone[owners != position])) if len(lead_times) > 1 else None
        for position, annotator in enumerate(lead_times)
    }
    annotator_risks = {
        annotator: annotator_risk(by_annotator.get(annotator, AnnotatorFacts(annotator)), settings)
        for annotator in {facts.annotator for facts in annotations}
    }
    # "Fast" for every annotation at once: a missing lead time or median is NaN, and NaN is never below a limit.
    ordered = sorted(annotations, key=lambda item: item.annotation)
    times = np.array([np.nan if facts.lead_time is None else facts.lead_time for facts in ordered], dtype=float)
    own_limit = np.array([_limit(own_median.get(facts.annotator), settings) for facts in ordered], dtype=float)
    peer_limit = np.array([_limit(peer_median.get(facts.annotator), settings) for facts in ordered], dtype=float)
    # Each annotation takes one of at most four variants of its annotator's risk: fast or not against each norm.
    variants: dict[tuple[int, bool, bool], tuple[float, tuple[str, ...]]] = {}
    weights = []
    for facts, faster_than_own, faster_than_peers in zip(
        ordered, (times < own_limit).tolist(), (times < peer_limit).tolist(), strict=True
    ):
        key = (facts.annotator, faster_than_own, faster_than_peers)
        variant = variants.get(key)
        if variant is None:
            variant = variants[key] = _fast_variant(
                annotator_risks[facts.annotator], faster_than_own, faster_than_peers, settings
            )
        weights.append(RiskWeight(facts.annotation, facts.annotator, *variant))
    return weights


def _limit(median: float | None, settings: SamplingSettings) -> float:
    return np.nan if median is None else settings.fast_factor * median


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
    weights: Sequence[float], size: int, generator: np.random.Generator
) -> list[int]:
    """Indexes of `size` positions drawn without replacement, each with probability proportional to its weight.

    Efraimidis-Spirakis: key = u ** (1 / w), keep the largest keys; compared in log space for stability.
    """
    if size <= 0 or not weights:
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
    weights = risk_weights(annotations, annotators, settings)
    generator = np.random.default_rng(seed)
    target = math.ceil(settings.rate * len(weights) - 1e-9)
    first = {facts.annotation for facts in annotations if facts.is_first_task}
    chosen: dict[int, str] = {weight.annotation: FIRST_TASKS for weight in weights if weight.annotation in first}

    # One generator for the whole draw, annotators in id order, so the draw is reproducible.
    by_annotator: dict[int, list[int]] = defaultdict(list)
    for position, weight in enumerate(weights):
        by_annotator[weight.annotator].append(position)
    for annotator in sorted(by_annotator):
        positions = by_annotator[annotator]
        missing = settings.min_per_annotator - sum(weights[position].annotation in chosen for position in positions)
        remaining = [position for position in positions if weights[position].annotation not in chosen]
        picked = weighted_sample_without_replacement([weights[p].weight for p in remaining], missing, generator)
        for index in picked:
            chosen[weights[remaining[index]].annotation] = ANNOTATOR_MINIMUM

    remaining = [position for position, weight in enumerate(weights) if weight.annotation not in chosen]
    picked = weighted_sample_without_replacement(
        [weights[p].weight for p in remaining], target - len(chosen), generator
    )
    for index in picked:
        chosen[weights[remaining[index]].annotation] = BASE_RATE

    items = [
        SampledAnnotation(
            weight.annotation, weight.annotator, weight.weight, (chosen[weight.annotation], *weight.reasons)
        )
        for weight in weights
        if weight.annotation in chosen
    ]
    return Sample(items=items, target=target, annotators=summarise(weights, items))


def summarise(weights: Sequence[RiskWeight], items: Sequence[SampledAnnotation] = ()) -> list[AnnotatorWeight]:
    """Per annotator: annotations, mean risk weight, every risk signal seen, and how many were drawn."""
    grouped: dict[int, list[RiskWeight]] = defaultdict(list)
    for weight in weights:
        grouped[weight.annotator].append(weight)
    drawn: dict[int, int] = defaultdict(int)
    for item in items:
        drawn[item.annotator] += 1
    return [
        AnnotatorWeight(
            annotator=annotator,
            annotations=len(rows),
            mean_weight=float(np.mean([row.weight for row in rows])),
            reasons=tuple(dict.fromkeys(reason for row in rows for reason in row.reasons)),
            sampled=drawn[annotator],
        )
        for annotator, rows in sorted(grouped.items())
    ]
