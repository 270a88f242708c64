"""Inter-annotator agreement (pure): percent agreement, Cohen, Fleiss, Krippendorff, Jaccard, span F1.

Ratings arrive as (item, annotator, label) triples; `labels_by_item` and `paired_labels` shape them
for the statistics. Each statistic returns an `Agreement`. When the data cannot define the
statistic, its value is None and its reason says why. That happens when no item has two ratings,
or when a single label is used throughout, so chance agreement is 1 and kappa is 0/0. It is never NaN.

Items with fewer than two ratings carry no agreement information: they are left out and counted
in `dropped_items`, so a page can say "computed on 180 items, 20 had a single rating".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

import numpy as np

Label = Hashable
Rating = tuple[Hashable, Hashable, Label | None]  # (item, annotator, label); None: no label on this control
# (start, end, label) of a Labels region on a Text object; the offsets are None when the region gives none.
Span = tuple[int | None, int | None, str]

NO_OVERLAP = "no item has ratings from two annotators"
ONE_LABEL = "every rating gives the same single label, so chance agreement is 1 and kappa is undefined"
NO_SPANS = "neither annotator marked a span"

T = TypeVar("T")


@dataclass(frozen=True)
class Agreement:
    value: float | None  # None when undefined; `reason` says why
    items: int  # items the value was computed on
    dropped_items: int = 0  # items left out: fewer than two ratings
    reason: str | None = None


@dataclass(frozen=True)
class BootstrapInterval:
    low: float | None
    high: float | None
    confidence: float
    resamples: int
    undefined_resamples: int  # resamples on which the statistic was undefined; left out of the percentiles
    reason: str | None = None


def latest_ratings(ratings: Iterable[Rating]) -> dict[Hashable, dict[Hashable, Label]]:
    """Labels per item per annotator, items in first-seen order; an annotator's later rating replaces theirs."""
    by_item: dict[Hashable, dict[Hashable, Label]] = {}
    for item, annotator, label in ratings:
        by_annotator = by_item.setdefault(item, {})
        if label is None:
            by_annotator.pop(annotator, None)
        else:
            by_annotator[annotator] = label
    return by_item


def labels_by_item(ratings: Iterable[Rating]) -> list[list[Label]]:
    """One list of labels per item (one label per annotator), the input of the multi-rater statistics."""
    return [list(by_annotator.values()) for by_annotator in latest_ratings(ratings).values()]


def paired_labels(ratings: Iterable[Rating], first: Hashable, second: Hashable) -> tuple[list[Label], list[Label]]:
    """The two annotators' labels on the items both labeled, aligned, the input of `cohen_kappa`."""
    first_labels: list[Label] = []
    second_labels: list[Label] = []
    for by_annotator in latest_ratings(ratings).values():
        if first in by_annotator and second in by_annotator:
            first_labels.append(by_annotator[first])
            second_labels.append(by_annotator[second])
    return first_labels, second_labels


def choice_labels(result: list[dict], from_name: str) -> frozenset[str] | None:
    """The choices one annotation's Label Studio result gives on a Choices control; None when it has none."""
    for region in result or []:
        value = region.get("value") or {}
        if region.get("from_name") == from_name and "choices" in value:
            return frozenset(value["choices"])
    return None


def text_spans(result: list[dict], from_name: str) -> frozenset[Span]:
    """The (start, end, label) spans of one annotation's Labels control; a region with two labels gives two spans."""
    spans: set[Span] = set()
    for region in result or []:
        value = region.get("value") or {}
        if region.get("from_name") == from_name and "labels" in value:
            spans.update((value.get("start"), value.get("end"), label) for label in value["labels"])
    return frozenset(spans)


def _rated_items(items: Sequence[Sequence[T | None]]) -> tuple[list[list[T]], int]:
    """Items with two or more ratings (missing ones removed), and how many items were dropped."""
    kept = [[rating for rating in item if rating is not None] for item in items]
    kept = [item for item in kept if len(item) >= 2]
    return kept, len(items) - len(kept)


def percent_agreement(items: Sequence[Sequence[Label | None]]) -> Agreement:
    """Share of agreeing rating pairs per item, averaged over items; for two annotators, the share of agreed items."""
    kept, dropped = _rated_items(items)
    if not kept:
        return Agreement(None, 0, dropped, NO_OVERLAP)
    shares = [sum(a == b for a, b in combinations(item, 2)) / (len(item) * (len(item) - 1) / 2) for item in kept]
    return Agreement(float(np.mean(shares)), len(kept), dropped)


def cohen_kappa(first: Sequence[Label | None], second: Sequence[Label | None]) -> Agreement:
    """Cohen's kappa between two annotators' aligned labels; positions where either is None are dropped."""
    if len(first) != len(second):
        raise ValueError(f"the two annotators' label lists differ in length ({len(first)} and {len(second)})")
    pairs = [(a, b) for a, b in zip(first, second, strict=True) if a is not None and b is not None]
    dropped = len(first) - len(pairs)
    if not pairs:
        return Agreement(None, 0, dropped, NO_OVERLAP)
    count = len(pairs)
    agreeing = sum(a == b for a, b in pairs)
    first_margin = Counter(a for a, _ in pairs)
    second_margin = Counter(b for _, b in pairs)
    # Integer arithmetic: chance agreement is count_products / count², exactly 1 only on one shared label.
    count_products = sum(first_margin[label] * second_margin[label] for label in first_margin)
    if count_products == count * count:
        return Agreement(None, count, dropped, ONE_LABEL)
    value = (count * agreeing - count_products) / (count * count - count_products)
    return Agreement(value, count, dropped)


def fleiss_kappa(items: Sequence[Sequence[Label | None]]) -> Agreement:
    """Fleiss' kappa over items rated by any number of annotators (ragged overlap allowed).

    Unequal rater counts follow Gwet's generalisation (Handbook of Inter-Rater Reliability, 4th ed.,
    ch. 2): each item's observed agreement is the share of its agreeing rating pairs, averaged with
    equal weight per item; chance agreement uses label proportions averaged per item (r_ik / r_i),
    so an item with five ratings does not outweigh one with two. With equal rater counts this is
    exactly Fleiss (1971).
    """
    kept, dropped = _rated_items(items)
    if not kept:
        return Agreement(None, 0, dropped, NO_OVERLAP)
    labels = sorted({label for item in kept for label in item}, key=str)
    if len(labels) == 1:
        return Agreement(None, len(kept), dropped, ONE_LABEL)
    item_counts = [Counter(item) for item in kept]
    counts = np.array([[counter[label] for label in labels] for counter in item_counts], dtype=float)
    raters = counts.sum(axis=1)
    observed = np.mean((counts * (counts - 1)).sum(axis=1) / (raters * (raters - 1)))
    proportions = (counts / raters[:, None]).mean(axis=0)
    expected = float((proportions**2).sum())
    return Agreement(float((observed - expected) / (1 - expected)), len(kept), dropped)


def krippendorff_alpha(items: Sequence[Sequence[Label | None]]) -> Agreement:
    """Krippendorff's alpha for nominal labels; None ratings are missing values, items with one rating are unpairable.

    Computed from the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"),
    which for nominal data depends only on the labels each item got, not on who gave them.
    """
    kept, dropped = _rated_items(items)
    if not kept:
        return Agreement(None, 0, dropped, NO_OVERLAP)
    label_totals: Counter[Label] = Counter()
    coinciding = 0.0  # the diagonal of the coincidence matrix, summed
    for item in kept:
        item_counts = Counter(item)
        label_totals.update(item_counts)
        coinciding += sum(count * (count - 1) for count in item_counts.values()) / (len(item) - 1)
    if len(label_totals) == 1:
        return Agreement(None, len(kept), dropped, ONE_LABEL)
    pairable = sum(label_totals.values())
    squares = sum(total * total for total in label_totals.values())
    value = 1 - (pairable - 1) * (pairable - coinciding) / (pairable * pairable - squares)
    return Agreement(value, len(kept), dropped)


def jaccard_similarity(first: Collection[Label], second: Collection[Label]) -> float:
    """Shared choices over all choices made; two empty selections gave the same answer, so 1.0."""
    first_set, second_set = set(first), set(second)
    union = first_set | second_set
    return len(first_set & second_set) / len(union) if union else 1.0


def jaccard_agreement(items: Sequence[Sequence[Collection[Label] | None]]) -> Agreement:
    """Multiple-choice agreement: Jaccard similarity averaged over each item's rating pairs, then over items."""
    kept, dropped = _rated_items(items)
    if not kept:
        return Agreement(None, 0, dropped, NO_OVERLAP)
    per_item = [np.mean([jaccard_similarity(a, b) for a, b in combinations(item, 2)]) for item in kept]
    return Agreement(float(np.mean(per_item)), len(kept), dropped)


def span_f1(first: Sequence[Collection[Span]], second: Sequence[Collection[Span]]) -> Agreement:
    """Exact-match span F1 between two annotators, micro-averaged over items.

    A span agrees only when start, end and label are all equal: overlapping but shifted spans count
    as disagreement. F1 is symmetric, so it does not matter which annotator is "first".
    """
    if len(first) != len(second):
        raise ValueError(f"the two annotators' span lists differ in length ({len(first)} and {len(second)})")
    matched = marked = 0
    for first_spans, second_spans in zip(first, second, strict=True):
        first_set, second_set = set(first_spans), set(second_spans)
        matched += len(first_set & second_set)
        marked += len(first_set) + len(second_set)
    if not marked:
        return Agreement(None, len(first), reason=NO_SPANS)
    return Agreement(2 * matched / marked, len(first))


def bootstrap_interval(
    items: Sequence[T],
    statistic: Callable[[list[T]], float | None],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapInterval:
    """Percentile bootstrap interval of `statistic` over items resampled with replacement; same seed, same interval.

    Resample items (not ratings) so an item's ratings stay together. E.g. for Cohen's kappa:
    `bootstrap_interval(list(zip(a, b)), lambda pairs: cohen_kappa(*zip(*pairs)).value)`.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if not items:
        return BootstrapInterval(None, None, confidence, resamples, 0, "no items to resample")
    generator = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        sample = [items[index] for index in generator.integers(0, len(items), size=len(items))]
        value = statistic(sample)
        if value is not None and np.isfinite(value):
            values.append(value)
    undefined = resamples - len(values)
    if not values:
        return BootstrapInterval(None, None, confidence, resamples, undefined, "undefined on every resample")
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return BootstrapInterval(float(low), float(high), confidence, resamples, undefined)
