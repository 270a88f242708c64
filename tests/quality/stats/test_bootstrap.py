"""The NumPy bootstrap of the agreement statistics gives the interval the pure bootstrap gives, for the same seed."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from projects.quality.stats import agreement, bootstrap

LABELS = ("refund", "return", "damaged")


def ragged_items(seed: int, count: int = 60) -> list[list[str]]:
    generator = np.random.default_rng(seed)
    items = []
    for _ in range(count):
        truth = LABELS[generator.integers(3)]
        raters = int(generator.integers(2, 5))
        items.append([truth if generator.random() < 0.7 else LABELS[generator.integers(3)] for _ in range(raters)])
    return items


def both(items, pure, weighted, seed=3):
    reference = agreement.bootstrap_interval(items, pure, resamples=300, seed=seed)
    fast = bootstrap.weighted_bootstrap(len(items), weighted(items), resamples=300, seed=seed)
    return reference, fast


def assert_same(reference, fast):
    assert (fast.low, fast.high) == pytest.approx((reference.low, reference.high), abs=1e-9)
    assert fast.undefined_resamples == reference.undefined_resamples


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("pure", "weighted"),
    [
        (agreement.krippendorff_alpha, bootstrap.krippendorff_alpha_statistic),
        (agreement.fleiss_kappa, bootstrap.fleiss_kappa_statistic),
        (agreement.percent_agreement, bootstrap.percent_agreement_statistic),
    ],
)
def test_nominal_multi_rater_statistics(seed, pure, weighted):
    items = ragged_items(seed)

    assert_same(*both(items, lambda sample: pure(sample).value, weighted))
    assert weighted(items)(np.ones(len(items), dtype=np.int64)) == pytest.approx(pure(items).value)


def test_cohen_kappa_on_pairs_including_resamples_with_one_label():
    pairs = [("refund", "refund")] * 8 + [("refund", "return"), ("return", "return")]

    reference, fast = both(
        pairs,
        lambda sample: agreement.cohen_kappa(*zip(*sample, strict=True)).value,
        bootstrap.cohen_kappa_statistic,
    )

    assert reference.undefined_resamples > 0
    assert_same(reference, fast)


def test_jaccard_and_span_f1():
    choices = [[frozenset({"a", "b"}), frozenset({"a"})], [frozenset(), frozenset({"c"}), frozenset({"c"})]] * 10
    spans = [[frozenset({(0, 4, "order")}), frozenset({(0, 4, "order"), (6, 9, "phone")})], [frozenset(), frozenset()]]
    spans *= 10

    assert_same(*both(choices, lambda sample: agreement.jaccard_agreement(sample).value, bootstrap.jaccard_statistic))

    def pure_span_f1(sample):
        pairs = [pair for item in sample for pair in pairwise(item)]
        return agreement.span_f1(*zip(*pairs, strict=True)).value

    assert_same(*both(spans, pure_span_f1, bootstrap.span_f1_statistic))


def test_no_items_no_interval():
    interval = bootstrap.weighted_bootstrap(0, lambda weights: 1.0)

    assert (interval.low, interval.high, interval.reason) == (None, None, "no items to resample")
