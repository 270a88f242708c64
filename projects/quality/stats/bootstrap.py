"""Bootstrap intervals of the agreement statistics at batch scale (pure, NumPy).

`agreement.bootstrap_interval` calls a statistic on every resampled list of items: exact, but
pure Python per item, so a batch of 100,000 items times 200 resamples takes minutes per figure.
Here each statistic is first reduced to per-item sufficient statistics (label counts, agreeing
pairs, matched spans); a resample is then a vector of how often each item was drawn, and the
statistic a few weighted sums. The resamples are drawn exactly as `bootstrap_interval` draws them
(same generator, same stream), so for a seed both give the same interval; the tests hold them to it.

All resamples are drawn in one call as a resamples × items matrix of draw counts, and each statistic
is evaluated on the whole matrix (`WeightedStatistic.many`): a figure is a few matrix products.
Figures over the same number of items with the same seed share the matrix, so the hundreds of
annotator pairs of a batch are bootstrapped together (`cohen_kappa_bootstrap`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np

from projects.quality.stats.agreement import BootstrapInterval, Span, jaccard_similarity

# Draw-count matrices up to this many cells are kept for reuse: every figure of a batch is bootstrapped
# with the same seed, so figures over the same number of items (annotator pairs, mostly) share their draws.
CACHED_CELLS = 50_000
# Larger ones are drawn this many cells at a time, so memory stays flat whatever the batch size.
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class WeightedStatistic:
    """A statistic of per-item draw counts, on many resamples at once.

    `many` takes a resamples × items matrix of draw counts and returns one value per row, NaN where the
    statistic is undefined; calling the statistic with one vector of counts gives a float or None.
    """

    many: Callable[[np.ndarray], np.ndarray]

    def __call__(self, weights: np.ndarray) -> float | None:
        value = float(self.many(np.asarray(weights)[None, :])[0])
        return value if np.isfinite(value) else None


def _draw_counts(generator: np.random.Generator, size: int, resamples: int) -> np.ndarray:
    # One call draws what `resamples` calls of `integers(0, size, size=size)` draw: the generator fills
    # the matrix row by row from the same stream.
    draws = generator.integers(0, size, size=(resamples, size))
    counts = np.empty((resamples, size))
    for row, drawn in enumerate(draws):  # a count per row: cheaper than one count over offset draws
        counts[row] = np.bincount(drawn, minlength=size)
    counts.flags.writeable = False
    return counts


@lru_cache(maxsize=128)
def resample_counts(size: int, resamples: int, seed: int) -> np.ndarray:
    """Resamples × items matrix of how often each item was drawn, as `agreement.bootstrap_interval` draws; read-only.

    For small matrices (up to CACHED_CELLS); `resample_count_chunks` gives any size.
    """
    return _draw_counts(np.random.default_rng(seed), size, resamples)


def resample_count_chunks(size: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """The rows of `resample_counts`, a few at a time (all at once when small enough to keep)."""
    if size * resamples <= CACHED_CELLS:
        yield resample_counts(size, resamples, seed)
        return
    generator = np.random.default_rng(seed)
    step = max(1, CHUNK_CELLS // size)
    for start in range(0, resamples, step):
        yield _draw_counts(generator, size, min(step, resamples - start))


def _interval(values: np.ndarray, resamples: int, confidence: float) -> BootstrapInterval:
    values = values[np.isfinite(values)]
    undefined = resamples - len(values)
    if not len(values):
        return BootstrapInterval(None, None, confidence, resamples, undefined, "undefined on every resample")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return BootstrapInterval(float(low), float(high), confidence, resamples, undefined)


def weighted_bootstrap(
    size: int,
    statistic: Callable[[np.ndarray], float | None],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap of a statistic given as a function of per-item draw counts; see module docstring.

    A `WeightedStatistic` is evaluated on many resamples at once; any other callable once per resample.
    """
    if isinstance(statistic, WeightedStatistic):
        return weighted_bootstraps(size, [statistic], resamples=resamples, confidence=confidence, seed=seed)[0]
    _check(confidence)
    if size == 0:
        return BootstrapInterval(None, None, confidence, resamples, 0, "no items to resample")
    values = [
        _undefined_as_nan(statistic(row.astype(np.int64)))
        for counts in resample_count_chunks(size, resamples, seed)
        for row in counts
    ]
    return _interval(np.array(values, dtype=float), resamples, confidence)


def weighted_bootstraps(
    size: int,
    statistics: Sequence[WeightedStatistic],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[BootstrapInterval]:
    """`weighted_bootstrap` of several statistics over the same items, on one set of draws."""
    _check(confidence)
    if size == 0:
        return [BootstrapInterval(None, None, confidence, resamples, 0, "no items to resample") for _ in statistics]
    values: list[list[np.ndarray]] = [[] for _ in statistics]
    for counts in resample_count_chunks(size, resamples, seed):
        for collected, statistic in zip(values, statistics, strict=True):
            collected.append(np.asarray(statistic.many(counts), dtype=float))
    return [_interval(np.concatenate(collected), resamples, confidence) for collected in values]


def _check(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")


def _undefined_as_nan(value: float | None) -> float:
    return np.nan if value is None else value


@dataclass(frozen=True)
class LabelCounts:
    """Items given as counts: items × labels, how many ratings gave each label (labels in first-seen order).

    What the multi-rater statistics reduce their items to first; a caller holding labels as codes builds it
    without a list per item.
    """

    counts: np.ndarray

    def __len__(self) -> int:
        return len(self.counts)


def _label_counts(items: Sequence[Sequence[Hashable]] | LabelCounts) -> np.ndarray:
    """Items × labels matrix of how many ratings gave each label (labels in first-seen order)."""
    if isinstance(items, LabelCounts):
        return items.counts
    labels: dict[Hashable, int] = {}
    codes = [labels.setdefault(label, len(labels)) for item in items for label in item]
    rows = np.repeat(np.arange(len(items)), [len(item) for item in items])
    cells = np.bincount(rows * len(labels) + np.array(codes, dtype=np.int64), minlength=len(items) * len(labels))
    return cells.reshape(len(items), len(labels))


def _weighted_mean(per_item: np.ndarray) -> WeightedStatistic:
    def many(weights: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return weights @ per_item / weights.sum(axis=1)

    return WeightedStatistic(many)


def percent_agreement_statistic(items: Sequence[Sequence[Hashable]] | LabelCounts) -> WeightedStatistic:
    """As `agreement.percent_agreement`, over items that all have two or more ratings."""
    counts = _label_counts(items)
    raters = counts.sum(axis=1)
    return _weighted_mean((counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1)))


def fleiss_kappa_statistic(items: Sequence[Sequence[Hashable]] | LabelCounts) -> WeightedStatistic:
    """As `agreement.fleiss_kappa` (Gwet's ragged form), over items that all have two or more ratings."""
    counts = _label_counts(items)
    raters = counts.sum(axis=1)
    observed = (counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1))
    shares = counts / raters[:, None]
    counts = counts.astype(float)  # exact: small integers

    def many(weights: np.ndarray) -> np.ndarray:
        total = weights.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = (((weights @ shares) / total[:, None]) ** 2).sum(axis=1)
            values = (weights @ observed / total - expected) / (1 - expected)
        values[np.count_nonzero(weights @ counts, axis=1) <= 1] = np.nan
        return values

    return WeightedStatistic(many)


def krippendorff_alpha_statistic(items: Sequence[Sequence[Hashable]] | LabelCounts) -> WeightedStatistic:
    """As `agreement.krippendorff_alpha` (nominal, coincidence matrix), over items with two or more ratings."""
    counts = _label_counts(items)
    raters = counts.sum(axis=1)
    coinciding = (counts * (counts - 1)).sum(axis=1) / (raters - 1)
    counts = counts.astype(float)  # exact: small integers

    def many(weights: np.ndarray) -> np.ndarray:
        totals = weights @ counts
        pairable = totals.sum(axis=1)
        squares = (totals**2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = 1 - (pairable - 1) * (pairable - weights @ coinciding) / (pairable * pairable - squares)
        values[np.count_nonzero(totals, axis=1) <= 1] = np.nan
        return values

    return WeightedStatistic(many)


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

    def many(weights: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2 * (weights @ matched) / (weights @ marked)

    return WeightedStatistic(many)


def _kappa(count: np.ndarray, agreeing: np.ndarray, products: np.ndarray) -> np.ndarray:
    # Whole numbers below 2**53 in float64, so this is the pure function's integer arithmetic, rounded once:
    # "one shared label" (products == count²) is an exact test.
    with np.errstate(divide="ignore", invalid="ignore"):
        values = (count * agreeing - products) / (count * count - products)
    values[products == count * count] = np.nan
    return values


def _codes(pairs: Sequence[tuple[Hashable, Hashable]], labels: dict[Hashable, int]) -> tuple[np.ndarray, np.ndarray]:
    first = np.fromiter((labels[a] for a, _ in pairs), dtype=np.int64, count=len(pairs))
    second = np.fromiter((labels[b] for _, b in pairs), dtype=np.int64, count=len(pairs))
    return first, second


def cohen_kappa_statistic(pairs: Sequence[tuple[Hashable, Hashable]]) -> WeightedStatistic:
    """As `agreement.cohen_kappa` on the two annotators' aligned labels, given as (first, second) pairs."""
    labels = {label: index for index, label in enumerate(dict.fromkeys(label for pair in pairs for label in pair))}
    first, second = _codes(pairs, labels)
    agreeing = (first == second).astype(float)
    first_onehot = np.eye(len(labels))[first]
    second_onehot = np.eye(len(labels))[second]

    def many(weights: np.ndarray) -> np.ndarray:
        products = ((weights @ first_onehot) * (weights @ second_onehot)).sum(axis=1)
        return _kappa(weights.sum(axis=1), weights @ agreeing, products)

    return WeightedStatistic(many)


def cohen_kappa_bootstrap(
    pair_lists: Sequence[Sequence[tuple[Hashable, Hashable]]],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[tuple[float | None, BootstrapInterval]]:
    """Cohen's kappa and its `weighted_bootstrap` interval for many annotator pairs at once, in their order.

    The same values as `agreement.cohen_kappa` and intervals as `weighted_bootstrap(cohen_kappa_statistic)`:
    pairs with as many items share their draws (same seed), so each such group is a few matrix products.
    """
    labels: dict[Hashable, int] = {}
    for pairs in pair_lists:
        for first, second in pairs:
            labels.setdefault(first, len(labels))
            labels.setdefault(second, len(labels))
    codes = [_codes(pairs, labels) for pairs in pair_lists]
    return cohen_kappa_bootstrap_codes(
        [first for first, _ in codes],
        [second for _, second in codes],
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )


def cohen_kappa_bootstrap_codes(
    first_labels: Sequence[np.ndarray],
    second_labels: Sequence[np.ndarray],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[tuple[float | None, BootstrapInterval]]:
    """`cohen_kappa_bootstrap` of pairs given as two aligned arrays of label codes each (equal codes, equal labels)."""
    _check(confidence)
    by_size: dict[int, list[int]] = {}
    for position, labels in enumerate(first_labels):
        by_size.setdefault(len(labels), []).append(position)
    results: dict[int, tuple[float | None, BootstrapInterval]] = {}
    for size, positions in by_size.items():
        if size == 0:
            for position in positions:
                no_items = BootstrapInterval(None, None, confidence, resamples, 0, "no items to resample")
                results[position] = (None, no_items)
            continue
        first = np.array([first_labels[position] for position in positions])  # pairs × items
        second = np.array([second_labels[position] for position in positions])
        # Every item drawn once gives the value itself.
        value_of = _pair_kappas(first, second, np.ones((size, 1)))[:, 0]
        resampled = np.hstack(
            [_pair_kappas(first, second, counts.T) for counts in resample_count_chunks(size, resamples, seed)]
        )
        # Pairs defined on every resample: all their percentiles in one call; the others one by one.
        defined = np.isfinite(resampled).all(axis=1)
        tail = (1 - confidence) / 2 * 100
        bounds = np.percentile(resampled[defined], [tail, 100 - tail], axis=1) if defined.any() else np.empty((2, 0))
        rank = np.cumsum(defined) - 1
        for row, position in enumerate(positions):
            if defined[row]:
                low, high = bounds[:, rank[row]]
                interval = BootstrapInterval(float(low), float(high), confidence, resamples, 0)
            else:
                interval = _interval(resampled[row], resamples, confidence)
            value = value_of[row]
            results[position] = (float(value) if np.isfinite(value) else None, interval)
    return [results[position] for position in range(len(first_labels))]


def _pair_kappas(first: np.ndarray, second: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pairs × resamples kappas from pairs × items label codes and items × resamples draw counts."""
    agreeing = (first == second).astype(float) @ counts
    products = np.zeros_like(agreeing)
    for code in np.unique(np.concatenate([first.ravel(), second.ravel()])):
        products += ((first == code).astype(float) @ counts) * ((second == code).astype(float) @ counts)
    return _kappa(counts.sum(axis=0)[None, :], agreeing, products)
