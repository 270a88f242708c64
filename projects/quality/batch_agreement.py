"""Agreement over a batch, per control: over the batch, per vendor and per annotator pair, with bootstrap 95%
intervals; reads only. It loads the batch's labels and says which statistics each label type gets; the
statistics and their bootstrap are the pure `agreement` and `agreement_bootstrap` modules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
from threadpoolctl import threadpool_limits

from projects.models import Batch
from projects.quality.controls import PASS_KINDS, Control, project_controls
from projects.quality.loading import AnnotatorName, annotator_names, load_batch_labels
from projects.quality.stats import agreement as stats
from projects.quality.stats import bootstrap as boot
from projects.quality.stats.batch_labels import NO_ANSWER, BatchLabels, LatestAnswers
from projects.quality.stats.comparison import LabelType


@dataclass(frozen=True)
class AgreementFigure:
    scope: str  # "batch", "vendor" or "pair"
    subject: str  # the batch name, the vendor's name, or "alice / bob"
    control: str
    statistic: str
    value: float | None
    items: int
    dropped_items: int
    low: float | None  # bootstrap 95% interval
    high: float | None
    reason: str | None = None


Statistic = tuple[str, Callable[[list], boot.WeightedStatistic]]
# Per label type: (name, the statistic as a function of per-item draw counts). Its value is the statistic
# with every item drawn once: the pure function's value (the tests hold them to it), without a second pass.
MULTI_RATER: dict[LabelType, tuple[Statistic, ...]] = {
    LabelType.SINGLE_CHOICE: (
        ("krippendorff_alpha", boot.krippendorff_alpha_statistic),
        ("fleiss_kappa", boot.fleiss_kappa_statistic),
        ("percent_agreement", boot.percent_agreement_statistic),
    ),
    LabelType.RATING: (
        ("krippendorff_alpha", boot.krippendorff_alpha_statistic),
        ("percent_agreement", boot.percent_agreement_statistic),
    ),
    LabelType.MULTIPLE_CHOICE: (("jaccard", boot.jaccard_statistic),),
    LabelType.SPANS: (("span_f1", boot.span_f1_statistic),),
}
PAIRWISE: dict[LabelType, Statistic] = {
    LabelType.SINGLE_CHOICE: ("cohen_kappa", boot.cohen_kappa_statistic),
    LabelType.RATING: ("cohen_kappa", boot.cohen_kappa_statistic),
    LabelType.MULTIPLE_CHOICE: ("jaccard", boot.jaccard_statistic),
    LabelType.SPANS: ("span_f1", boot.span_f1_statistic),
}


def _figures(
    scope: str, subject: str, control: str, statistics: Iterable[Statistic], items: list, resamples: int, seed: int
) -> list[AgreementFigure]:
    """The statistics over the same items, bootstrapped on one set of draws."""
    kept = [item for item in items if len(item) >= 2]
    return _kept_figures(scope, subject, control, statistics, kept, len(items) - len(kept), resamples, seed)


def _kept_figures(
    scope: str,
    subject: str,
    control: str,
    statistics: Iterable[Statistic],
    kept: list | boot.LabelCounts,
    dropped: int,
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """`_figures` of the items with two ratings or more (lists, or their label counts); `dropped` had fewer."""
    statistics = list(statistics)
    size = len(kept)
    of_counts = [weighted(kept) for _, weighted in statistics] if size else []
    intervals = boot.weighted_bootstraps(size, of_counts, resamples=resamples, seed=seed) if size else []
    figures = []
    for position, (name, _) in enumerate(statistics):
        value = of_counts[position](np.ones(size)) if size else None
        interval = intervals[position] if size else None
        reason = None if value is not None else (stats.NO_OVERLAP if not size else "undefined on these labels")
        figures.append(
            AgreementFigure(
                scope,
                subject,
                control,
                name,
                value,
                size,
                dropped,
                interval.low if interval else None,
                interval.high if interval else None,
                reason,
            )
        )
    return figures


@dataclass(frozen=True)
class BatchAgreement:
    batch: int
    figures: list[AgreementFigure] = field(default_factory=list)

    def by_scope(self, scope: str) -> list[AgreementFigure]:
        return [figure for figure in self.figures if figure.scope == scope]


def compute_agreement(*, batch: Batch, resamples: int = 500, seed: int = 0) -> BatchAgreement:
    """Agreement per control over the batch, per vendor and per annotator pair, with bootstrap 95% CIs; reads only.

    Deterministic for a seed. Free-text controls are left out (reviewed, not compared).
    """
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in PASS_KINDS
    }
    return agreement_from_labels(batch, controls, load_batch_labels(batch, controls), resamples, seed)


def agreement_from_labels(
    batch: Batch, controls: dict[str, Control], labels: BatchLabels, resamples: int, seed: int
) -> BatchAgreement:
    """`compute_agreement` over the batch's labels, already loaded for these controls."""
    names = annotator_names(np.unique(labels.annotator).tolist())
    figures: list[AgreementFigure] = []
    # The bootstrap multiplies many small matrices: BLAS threads only add their start-up cost to each.
    with threadpool_limits(limits=1, user_api="blas"):
        for name, control in controls.items():
            figures.extend(_control_figures(batch, name, control, labels, names, resamples, seed))
    return BatchAgreement(batch=batch.pk, figures=figures)


def _control_figures(
    batch: Batch,
    name: str,
    control: Control,
    labels: BatchLabels,
    names: dict[int, AnnotatorName],
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """One control's figures: over the batch, per vendor, per annotator pair."""
    annotators = _sorted_by_username(names)
    if control.kind in CODED_KINDS:
        # Answers compared as codes: the batch's label counts and pairs come from arrays, not a dict per task.
        latest = labels.latest(name)
        counts, dropped = latest.rated_counts()
        statistics = MULTI_RATER[control.kind]
        figures = _kept_figures(
            "batch", batch.name, name, statistics, boot.LabelCounts(counts), dropped, resamples, seed
        )
        pair_figures = _coded_pair_figures(name, control, latest, annotators, names, resamples, seed)
    else:
        by_item = _latest_labels(labels, control)
        items = [list(by_annotator.values()) for by_annotator in by_item.values()]
        figures = _figures("batch", batch.name, name, MULTI_RATER[control.kind], items, resamples, seed)
        pair_figures = _pair_figures(name, control, by_item, annotators, names, resamples, seed)
    vendors = sorted({who.vendor_name for who in names.values()})
    primary = MULTI_RATER[control.kind][0]
    if len(vendors) == 1:
        # One vendor labeled the whole batch: its figure is the batch's.
        return [*figures, replace(figures[0], scope="vendor", subject=vendors[0]), *pair_figures]
    if control.kind in CODED_KINDS:
        by_item = latest.by_item(labels.answers[name].values)
    for vendor in vendors:
        within = [
            [label for annotator, label in by_annotator.items() if names[annotator].vendor_name == vendor]
            for by_annotator in by_item.values()
        ]
        figures.extend(_figures("vendor", vendor, name, [primary], within, resamples, seed))
    return [*figures, *pair_figures]


def _latest_labels(labels: BatchLabels, control: Control) -> dict[int, dict[int, Hashable]]:
    """Task → annotator → their latest label on the control, as `agreement.latest_ratings` gives it."""
    answers = labels.answers[control.name]
    if control.kind is not LabelType.SPANS:
        return labels.latest(control.name).by_item(answers.values)
    # Marking no span is an answer too ("nothing to mark"); a missing choice or rating is not.
    given = [frozenset() if code == NO_ANSWER else answers.values[code] for code in answers.codes.tolist()]
    ratings = zip(labels.task.tolist(), labels.annotator.tolist(), given, strict=True)
    return stats.latest_ratings(ratings)


def _sorted_by_username(names: dict[int, AnnotatorName]) -> list[int]:
    return sorted(names, key=lambda annotator: names[annotator].username)


# Label types whose answers the agreement compares as codes (equal or not), with Cohen's kappa per pair
# bootstrapped for all pairs of a batch at once.
CODED_KINDS = (LabelType.SINGLE_CHOICE, LabelType.RATING)


def _pair_figures(
    name: str,
    control: Control,
    by_item: dict[Hashable, dict[Hashable, Hashable]],
    annotators: list[int],
    names: dict[int, AnnotatorName],
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """One figure per annotator pair with items in common, pairs in the order of `annotators`; for
    multiple choices and spans (see `_coded_pair_figures` for the others)."""
    rank = {annotator: position for position, annotator in enumerate(annotators)}
    labels_by_pair: dict[tuple[int, int], list[tuple[Hashable, Hashable]]] = defaultdict(list)
    for by_annotator in by_item.values():
        if len(by_annotator) >= 2:
            for first, second in combinations(sorted(by_annotator, key=rank.__getitem__), 2):
                labels_by_pair[(first, second)].append((by_annotator[first], by_annotator[second]))
    pairs = [pair for pair in combinations(annotators, 2) if pair in labels_by_pair]
    statistic = PAIRWISE[control.kind]
    return [
        figure
        for first, second in pairs
        for figure in _figures(
            "pair",
            f"{names[first].username} / {names[second].username}",
            name,
            [statistic],
            labels_by_pair[(first, second)],
            resamples,
            seed,
        )
    ]


def _coded_pair_figures(
    name: str,
    control: Control,
    latest: LatestAnswers,
    annotators: list[int],
    names: dict[int, AnnotatorName],
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """Cohen's kappa per annotator pair with items in common, pairs in the order of `annotators`."""
    position = {annotator: rank for rank, annotator in enumerate(annotators)}
    rank = np.array([position[annotator] for annotator in latest.annotator.tolist()], dtype=np.int64)
    first, second, first_codes, second_codes = latest.pairs(rank)
    starts = np.flatnonzero(np.r_[True, (first[1:] != first[:-1]) | (second[1:] != second[:-1])])[: len(first)]
    ends = np.r_[starts[1:], len(first)][: len(starts)]
    results = boot.cohen_kappa_bootstrap_codes(
        [first_codes[start:end] for start, end in zip(starts, ends, strict=True)],
        [second_codes[start:end] for start, end in zip(starts, ends, strict=True)],
        resamples=resamples,
        seed=seed,
    )
    return [
        AgreementFigure(
            "pair",
            f"{names[annotators[first[start]]].username} / {names[annotators[second[start]]].username}",
            name,
            PAIRWISE[control.kind][0],
            value,
            int(end - start),
            0,
            interval.low,
            interval.high,
            None if value is not None else "undefined on these labels",
        )
        for start, end, (value, interval) in zip(starts.tolist(), ends.tolist(), results, strict=True)
    ]
