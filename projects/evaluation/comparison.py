"""Two model runs on the same dataset version, item by item (pure): is one really better, and where do they differ.

Both runs are scored on the same items, so the comparison is paired: McNemar's test looks only at the
items one run gets right and the other wrong, and the bootstrap resamples items, keeping each item's
pair of outcomes together. Inputs are aligned lists, one entry per item of the version.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

# Below this many discordant items the chi-square approximation is poor, so the exact binomial test is used.
EXACT_BELOW_DISCORDANT = 25


def _paired_outcomes(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    if len(correct_a) != len(correct_b):
        raise ValueError(f"the two runs cover different numbers of items ({len(correct_a)} and {len(correct_b)})")
    if not correct_a:
        raise ValueError("no items to compare")
    return np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)


@dataclass(frozen=True)
class McNemarResult:
    only_a_correct: int  # b: items run A gets right and run B wrong
    only_b_correct: int  # c: items run B gets right and run A wrong
    statistic: float  # exact: min(b, c); chi-square: (|b - c| - 1)^2 / (b + c)
    p_value: float  # two-sided
    exact: bool  # True: exact binomial test; False: chi-square with continuity correction


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> McNemarResult:
    """McNemar's test of "both runs are equally accurate" on paired right/wrong outcomes.

    With b + c discordant items: below 25, the exact test, p = min(1, 2 * P(X <= min(b, c))) for
    X ~ Binomial(b + c, 1/2), statistic min(b, c); from 25 on, chi-square with 1 degree of freedom on
    (|b - c| - 1)^2 / (b + c), Edwards' continuity correction. Both as statsmodels'
    `contingency_tables.mcnemar` and R's `mcnemar.test`; like them, the corrected statistic is not
    clamped at 0, so b = c gives a small positive statistic (p just under 1) rather than exactly 0.
    No discordant items: p = 1.
    """
    # scipy.stats is slow and heavy to import; only the test itself needs it.
    from scipy.stats import binom, chi2

    outcomes_a, outcomes_b = _paired_outcomes(correct_a, correct_b)
    only_a = int(np.count_nonzero(outcomes_a & ~outcomes_b))
    only_b = int(np.count_nonzero(~outcomes_a & outcomes_b))
    discordant = only_a + only_b
    if discordant < EXACT_BELOW_DISCORDANT:
        smaller = min(only_a, only_b)
        p_value = min(1.0, 2 * float(binom.cdf(smaller, discordant, 0.5)))
        return McNemarResult(only_a, only_b, float(smaller), p_value, exact=True)
    statistic = (abs(only_a - only_b) - 1) ** 2 / discordant
    return McNemarResult(only_a, only_b, float(statistic), float(chi2.sf(statistic, 1)), exact=False)


@dataclass(frozen=True)
class BootstrapDifference:
    difference: float  # accuracy of A minus accuracy of B on the items; > 0: A is better
    low: float  # percentile interval of the difference
    high: float
    confidence: float
    resamples: int


def paired_bootstrap(
    correct_a: Sequence[bool],
    correct_b: Sequence[bool],
    resamples: int = 10000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapDifference:
    """Accuracy of A minus accuracy of B with a paired percentile bootstrap interval; same seed, same interval.

    Resampling n items with replacement and averaging their per-item differences (+1, 0 or -1) depends
    only on how many of each the resample draws, and those counts are Multinomial(n, observed shares).
    Drawing the counts directly is the same bootstrap distribution in O(resamples) memory and time,
    where drawing item indexes would need resamples * n numbers (3e9 for 300,000 items).
    Percentiles by NumPy's linear interpolation.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    outcomes_a, outcomes_b = _paired_outcomes(correct_a, correct_b)
    items = len(outcomes_a)
    only_a = int(np.count_nonzero(outcomes_a & ~outcomes_b))
    only_b = int(np.count_nonzero(~outcomes_a & outcomes_b))
    shares = np.array([only_a, only_b, items - only_a - only_b]) / items
    counts = np.random.default_rng(seed).multinomial(items, shares, size=resamples)
    differences = (counts[:, 0] - counts[:, 1]) / items
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return BootstrapDifference(
        difference=(only_a - only_b) / items,
        low=float(low),
        high=float(high),
        confidence=confidence,
        resamples=resamples,
    )


@dataclass(frozen=True)
class Disagreement:
    external_id: str
    gold: Hashable
    prediction_a: Hashable
    prediction_b: Hashable
    better: Literal["a", "b", "neither"]  # the run that got this item right, if only one did


def disagreements(
    external_ids: Sequence[str],
    gold: Sequence[Hashable],
    predictions_a: Sequence[Hashable],
    predictions_b: Sequence[Hashable],
) -> list[Disagreement]:
    """The items on which the two runs predict different labels, sorted by external_id.

    `better` tells the discordant items McNemar counts ("a" or "b") from those both runs get wrong
    in different ways ("neither"): the bad cases worth sending back for review.
    """
    if not len(external_ids) == len(gold) == len(predictions_a) == len(predictions_b):
        raise ValueError(
            "external_ids, gold and the two runs' predictions differ in length "
            f"({len(external_ids)}, {len(gold)}, {len(predictions_a)}, {len(predictions_b)})"
        )
    differing = []
    for external_id, gold_label, prediction_a, prediction_b in zip(
        external_ids, gold, predictions_a, predictions_b, strict=True
    ):
        if prediction_a == prediction_b:
            continue
        if prediction_a == gold_label:
            better: Literal["a", "b", "neither"] = "a"
        elif prediction_b == gold_label:
            better = "b"
        else:
            better = "neither"
        differing.append(Disagreement(external_id, gold_label, prediction_a, prediction_b, better))
    return sorted(differing, key=lambda disagreement: disagreement.external_id)
