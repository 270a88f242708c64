"""The batch decision as the review pages show it: the figures of a decision, and the rule before one is made."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from projects.models import BatchDecision
from projects.quality.stats.acceptance import minimum_sample_size


@dataclass(frozen=True)
class ShownDecision:
    decision: BatchDecision
    error_rate: str  # percentages as the page prints them
    upper_bound: str
    aql: str


def shown_decision(decision: BatchDecision | None) -> ShownDecision | None:
    if decision is None:
        return None
    return ShownDecision(
        decision=decision,
        error_rate=f"{decision.error_rate:.1%}",
        upper_bound=bound_text(decision.upper_bound, float(decision.aql)),
        aql=f"{float(decision.aql):.1%}",
    )


def bound_text(upper_bound: float, aql: float) -> str:
    """The upper bound as a percentage with the digits it takes to tell it from the AQL (4.999%, not 5.0%)."""
    for digits in (1, 2, 3, 4):
        text = f"{upper_bound:.{digits}%}"
        if text != f"{aql:.{digits}%}" or upper_bound == aql:
            return text
    return text


@dataclass(frozen=True)
class AcceptanceRule:
    aql: str
    minimum: int | None  # clean reviews a sample needs to accept; None: no sample can (AQL 0)
    sample_size: int | None  # the current sample's size, when there is one

    @property
    def sentence(self) -> str:
        return acceptance_sentence(self.aql, self.minimum)

    @property
    def cannot_accept(self) -> bool:
        """The sample is too small for the rule to ever accept it, even with every review clean."""
        return self.sample_size is not None and (self.minimum is None or self.sample_size < self.minimum)


def acceptance_sentence(aql: str, minimum: int | None) -> str:
    if minimum is None:
        return gettext("With AQL %(aql)s, no sample can accept a batch: every decision rejects.") % {"aql": aql}
    return gettext("With AQL %(aql)s, a sample needs at least %(minimum)s clean reviews to accept.") % {
        "aql": aql,
        "minimum": minimum,
    }


def acceptance_rule(aql: Decimal | float, sample_size: int | None = None) -> AcceptanceRule:
    """What the batch decision needs at this acceptable quality level, and whether a sample of this size can pass."""
    return AcceptanceRule(aql=f"{float(aql):.1%}", minimum=minimum_sample_size(float(aql)), sample_size=sample_size)
