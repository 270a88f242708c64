"""Batch acceptance from a QA sample (pure): the rule the batch decision applies, and the sample it needs.

The rule: a batch is accepted when the Wilson 95% upper bound of its sample's error rate is strictly
below the acceptable quality level (AQL). With zero errors in n reviews that bound is z² / (n + z²), so
a sample can only accept once z² / (n + z²) < AQL, that is n > z² (1 − AQL) / AQL. At AQL 5% that is
n ≥ 73 (the bound at 73 clean reviews is 4.9992%, at 72 it is 5.07%); at 10% n ≥ 35; at 1% n ≥ 381.
A smaller sample, even a whole batch reviewed without an error, cannot be accepted by this rule.
"""

from __future__ import annotations

import math

from projects.quality.stats.intervals import Z_95, wilson_interval


def accepts(errors: int, size: int, aql: float, z: float = Z_95) -> bool:
    """Whether `errors` in a sample of `size` accept the batch: the Wilson upper bound is below the AQL."""
    interval = wilson_interval(errors, size, z)
    return interval is not None and interval[1] < aql


def minimum_sample_size(aql: float, z: float = Z_95) -> int | None:
    """The smallest sample that accepts with zero errors under `accepts`; None when no sample can (AQL 0).

    From the closed form above, then checked against `accepts` itself so rounding never disagrees with it.
    """
    if not 0 <= aql <= 1:
        raise ValueError(f"the acceptable quality level must be between 0 and 1, got {aql}")
    if aql == 0:
        return None
    size = max(1, math.floor(z * z * (1 - aql) / aql) + 1)
    while size > 1 and accepts(0, size - 1, aql, z):
        size -= 1
    while not accepts(0, size, aql, z):
        size += 1
    return size
