"""Comparing two runs: McNemar by hand and against statsmodels, the paired bootstrap, the items they disagree on."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as statsmodels_mcnemar

from projects.evaluation.comparison import Disagreement, disagreements, mcnemar, paired_bootstrap


def paired_outcomes(both: int, only_a: int, only_b: int, neither: int) -> tuple[list[bool], list[bool]]:
    """Right/wrong per item for runs A and B, from the four cells of McNemar's table."""
    correct_a = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    correct_b = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return correct_a, correct_b


# -- McNemar -------------------------------------------------------------------------------------------


def test_mcnemar_exact_by_hand():
    # b = 8, c = 2: P(X <= 2) for X ~ Binomial(10, 1/2) is (1 + 10 + 45) / 1024, doubled: 112 / 1024.
    result = mcnemar(*paired_outcomes(both=50, only_a=8, only_b=2, neither=5))
    assert (result.only_a_correct, result.only_b_correct, result.exact) == (8, 2, True)
    assert result.statistic == 2
    assert result.p_value == pytest.approx(112 / 1024, abs=1e-12)


def test_mcnemar_exact_all_discordant_one_way():
    # b = 3, c = 0: 2 * (1/2)^3 = 0.25.
    result = mcnemar(*paired_outcomes(both=0, only_a=3, only_b=0, neither=0))
    assert result.p_value == pytest.approx(0.25, abs=1e-12)


def test_mcnemar_chi_square_by_hand():
    # b = 30, c = 10: (|30 - 10| - 1)^2 / 40 = 361 / 40; chi-square 1 df survival is erfc(sqrt(x / 2)).
    result = mcnemar(*paired_outcomes(both=100, only_a=30, only_b=10, neither=20))
    assert result.exact is False
    assert result.statistic == pytest.approx(361 / 40, abs=1e-12)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(361 / 80)), abs=1e-12)
    assert result.p_value == pytest.approx(0.00266, abs=1e-5)


def test_mcnemar_switches_to_chi_square_at_25_discordant_items():
    assert mcnemar(*paired_outcomes(both=10, only_a=16, only_b=8, neither=3)).exact is True
    assert mcnemar(*paired_outcomes(both=10, only_a=17, only_b=8, neither=3)).exact is False


def test_mcnemar_without_discordant_items_finds_no_difference():
    result = mcnemar(*paired_outcomes(both=40, only_a=0, only_b=0, neither=10))
    assert (result.statistic, result.p_value, result.exact) == (0.0, 1.0, True)


def test_mcnemar_is_symmetric_in_the_runs():
    correct_a, correct_b = paired_outcomes(both=5, only_a=9, only_b=3, neither=1)
    assert mcnemar(correct_a, correct_b).p_value == mcnemar(correct_b, correct_a).p_value


@pytest.mark.parametrize(
    ("only_a", "only_b"),
    [(0, 0), (1, 0), (5, 5), (12, 3), (0, 24), (13, 12), (13, 13), (40, 25), (100, 130), (700, 640)],
)
def test_mcnemar_equals_statsmodels(only_a, only_b):
    result = mcnemar(*paired_outcomes(both=60, only_a=only_a, only_b=only_b, neither=15))
    table = [[60, only_a], [only_b, 15]]
    reference = statsmodels_mcnemar(table, exact=only_a + only_b < 25, correction=True)
    assert result.statistic == pytest.approx(reference.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, abs=1e-12)


def test_mcnemar_refuses_runs_of_different_lengths():
    with pytest.raises(ValueError, match="different numbers of items"):
        mcnemar([True, False], [True])
    with pytest.raises(ValueError, match="no items"):
        mcnemar([], [])


# -- paired bootstrap ----------------------------------------------------------------------------------


def test_identical_runs_give_the_interval_zero_to_zero():
    correct = [True, False, True, True, False] * 20
    result = paired_bootstrap(correct, list(correct))
    assert (result.difference, result.low, result.high) == (0.0, 0.0, 0.0)


def test_a_run_right_on_every_item_against_one_wrong_on_every_item():
    result = paired_bootstrap([True] * 50, [False] * 50)
    assert (result.difference, result.low, result.high) == (1.0, 1.0, 1.0)


def test_a_run_better_on_some_items_and_never_worse_gives_a_positive_interval():
    correct_a, correct_b = paired_outcomes(both=60, only_a=20, only_b=0, neither=20)
    result = paired_bootstrap(correct_a, correct_b)
    assert result.difference == pytest.approx(0.2)
    assert 0 < result.low < 0.2 < result.high


def test_the_worse_run_first_gives_a_negative_interval():
    correct_a, correct_b = paired_outcomes(both=60, only_a=2, only_b=25, neither=13)
    result = paired_bootstrap(correct_a, correct_b)
    assert result.difference == pytest.approx(-0.23)
    assert result.low < result.high < 0


def test_bootstrap_is_deterministic_for_a_seed():
    correct_a, correct_b = paired_outcomes(both=300, only_a=40, only_b=30, neither=100)
    first = paired_bootstrap(correct_a, correct_b, seed=3)
    assert paired_bootstrap(correct_a, correct_b, seed=3) == first
    assert paired_bootstrap(correct_a, correct_b, seed=4) != first


def test_bootstrap_interval_matches_the_normal_approximation():
    # Per-item differences d are +1 (share 0.1), -1 (share 0.05) or 0; var(d) = 0.15 - 0.05^2 = 0.1475,
    # so the 95% interval of the mean over 2000 items is 0.05 ± 1.96 * sqrt(0.1475 / 2000) = 0.05 ± 0.01683.
    correct_a, correct_b = paired_outcomes(both=1200, only_a=200, only_b=100, neither=500)
    result = paired_bootstrap(correct_a, correct_b)
    half_width = 1.959964 * math.sqrt(0.1475 / 2000)
    assert result.low == pytest.approx(0.05 - half_width, abs=0.0015)
    assert result.high == pytest.approx(0.05 + half_width, abs=0.0015)


def test_bootstrap_equals_resampling_item_indexes():
    # Drawing counts from the multinomial is the item-resampling bootstrap; check against the textbook way.
    correct_a, correct_b = paired_outcomes(both=25, only_a=12, only_b=5, neither=8)
    differences = np.asarray(correct_a, dtype=float) - np.asarray(correct_b, dtype=float)
    indexes = np.random.default_rng(11).integers(0, len(differences), size=(40_000, len(differences)))
    reference_low, reference_high = np.percentile(differences[indexes].mean(axis=1), [2.5, 97.5])
    result = paired_bootstrap(correct_a, correct_b, resamples=40_000)
    assert result.low == pytest.approx(reference_low, abs=0.021)  # one item in 50 is 0.02
    assert result.high == pytest.approx(reference_high, abs=0.021)


def test_bootstrap_of_300000_items_brackets_the_difference():
    rng = np.random.default_rng(0)
    correct_a = list(rng.random(300_000) < 0.81)
    correct_b = list(rng.random(300_000) < 0.80)
    result = paired_bootstrap(correct_a, correct_b)
    assert result.low < result.difference < result.high


def test_bootstrap_refuses_bad_arguments():
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([True], [True], confidence=1.0)
    with pytest.raises(ValueError, match="resamples"):
        paired_bootstrap([True], [True], resamples=0)


# -- disagreements -------------------------------------------------------------------------------------


def test_disagreements_list_the_items_where_predictions_differ():
    found = disagreements(
        ["conv-3", "conv-1", "conv-2", "conv-4", "conv-5"],
        ["refund", "refund", "repair", "exchange", "repair"],
        ["refund", "refund", "refund", "repair", "repair"],
        ["repair", "refund", "repair", "complaint", "repair"],
    )
    assert found == [
        Disagreement("conv-2", "repair", "refund", "repair", better="b"),
        Disagreement("conv-3", "refund", "refund", "repair", better="a"),
        Disagreement("conv-4", "exchange", "repair", "complaint", better="neither"),
    ]


def test_disagreements_refuse_misaligned_lists():
    with pytest.raises(ValueError, match="differ in length"):
        disagreements(["a"], ["refund"], ["refund"], [])
