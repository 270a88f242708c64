"""Bootstrap intervals of the agreement statistics at batch scale (pure, NumPy).

`agreement.bootstrap_interval` calls a statistic on every resampled list of items: exact, but
pure Python per item, so a batch of 100,000 items times 200 resamples takes minutes per figure.
Here each statistic is first reduced to per-item sufficient statistics (label counts, agreeing
pairs, matched spans); a resample is then a vector of how often each item was drawn, and the
statistic a few weighted sums. The resamples are drawn exactly as `bootstrap_interval` draws them
(same generator, same calls), so for a seed both give the same interval; the tests hold them to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable, Sequence
from itertools import combinations

import numpy as np

from projects.quality.agreement import BootstrapInterval, Span, jaccard_similarity

WeightedStatistic = Callable[[np.ndarray], float | None]


def weighted_bootstrap(
    size: int,
    statistic: WeightedStatistic,
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap of a statistic given as a function of per-item draw counts; see module docstring."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if size == 0:
        return BootstrapInterval(None, None, confidence, resamples, 0, "no items to resample")
    generator = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        counts = np.bincount(generator.integers(0, size, size=size), minlength=size)
        value = statistic(counts)
        if value is not None and np.isfinite(value):
            values.append(value)
    undefined = resamples - len(values)
    if not values:
        return BootstrapInterval(None, None, confidence, resamples, undefined, "undefined on every resample")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return BootstrapInterval(float(low), float(high), confidence, resamples, undefined)


def _label_counts(items: Sequence[Sequence[Hashable]]) -> np.ndarray:
    """Items × labels matrix of how many ratings gave each label."""
    labels = {label: index for index, label in enumerate(dict.fromkeys(label for item in items for label in item))}
    counts = np.zeros((len(items), len(labels)), dtype=np.int64)
    for row, item in enumerate(items):
        for label, count in Counter(item).items():
            counts[row, labels[label]] = count
    return counts


def _weighted_mean(per_item: np.ndarray) -> WeightedStatistic:
    def statistic(weights: np.ndarray) -> float | None:
        total = weights.sum()
        return float(weights @ per_item / total) if total else None

    return statistic


def percent_agreement_statistic(items: Sequence[Sequence[Hashable]]) -> WeightedStatistic:
    """As `agreement.percent_agreement`, over items that all have two or more ratings."""
    counts = _label_counts(items)
    raters = counts.sum(axis=1)
    return _weighted_mean((counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1)))


def fleiss_kappa_statistic(items: Sequence[Sequence[Hashable]]) -> WeightedStatistic:
    """As `agreement.fleiss_kappa` (Gwet's ragged form), over items that all have two or more ratings."""
    counts = _label_counts(items)
    raters = counts.sum(axis=1)
    observed = (counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1))
    shares = counts / raters[:, None]

    def statistic(weights: np.ndarray) -> float | None:
        if np.count_nonzero(weights @ counts) <= 1:
            return None
        total = weights.sum()
        expected = float((((weights @ shares) / total) ** 2).sum())
        return float((weights @ observed / total - expected) / (1 - expected))

    return statistic


def krippendorff_alpha_statistic(items: Sequence[Sequence[Hashable]]) -> WeightedStatistic:
    """As `agreement.krippendorff_alpha` (nominal, coincidence matrix), over items with two or more ratings."""
    counts = _label_counts(items)
    raters = counts.sum(axis=1)
    coinciding = (counts * (counts - 1)).sum(axis=1) / (raters - 1)

    def statistic(weights: np.ndarray) -> float | None:
        totals = weights @ counts
        if np.count_nonzero(totals) <= 1:
            return None
        pairable = float(totals.sum())
        squares = float((totals.astype(float) ** 2).sum())
        return 1 - (pairable - 1) * (pairable - float(weights @ coinciding)) / (pairable * pairable - squares)

    return statistic


def jaccard_statistic(items: Sequence[Sequence[Collection[Hashable]]]) -> WeightedStatistic:
    """As `agreement.jaccard_agreement`: each item's mean pairwise Jaccard, averaged over items."""
    return _weighted_mean(
        np.array([np.mean([jaccard_similarity(a, b) for a, b in combinations(item, 2)]) for item in items])
    )


def span_f1_statistic(items: Sequence[Sequence[Collection[Span]]]) -> WeightedStatistic:
    """Exact-match span F1 micro-averaged over every rating pair of every item (`agreement.span_f1` per pair)."""
    matched = np.zeros(len(items))
    marked = np.zeros(len(items))
    for index, item in enumerate(items):
        for first, second in combinations(item, 2):
            matched[index] += len(set(first) & set(second))
            marked[index] += len(first) + len(second)

    def statistic(weights: np.ndarray) -> float | None:
        total = weights @ marked
        return float(2 * (weights @ matched) / total) if total else None

    return statistic


def cohen_kappa_statistic(pairs: Sequence[tuple[Hashable, Hashable]]) -> WeightedStatistic:
    """As `agreement.cohen_kappa` on the two annotators' aligned labels, given as (first, second) pairs."""
    labels = {label: index for index, label in enumerate(dict.fromkeys(label for pair in pairs for label in pair))}
    first = np.array([labels[a] for a, _ in pairs], dtype=np.int64)
    second = np.array([labels[b] for _, b in pairs], dtype=np.int64)
    agreeing = (first == second).astype(np.int64)

    def statistic(weights: np.ndarray) -> float | None:
        # Integer arithmetic, as in the pure function: "one shared label" is then an exact test.
        count = int(weights.sum())
        first_margin = np.bincount(first, weights=weights, minlength=len(labels)).astype(np.int64)
        second_margin = np.bincount(second, weights=weights, minlength=len(labels)).astype(np.int64)
        products = int(first_margin @ second_margin)
        if products == count * count:
            return None
        return (count * int(weights @ agreeing) - products) / (count * count - products)

    return statistic
