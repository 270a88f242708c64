"""Batch acceptance maths: the smallest sample that can accept, held to the rule the decision applies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from projects.quality.stats.acceptance import accepts, minimum_sample_size
from projects.quality.stats.sampling import AnnotationFacts, SamplingSettings, draw_sample


def test_at_the_default_aql_of_five_percent_73_clean_reviews_accept_and_72_do_not():
    assert minimum_sample_size(0.05) == 73
    assert accepts(0, 73, 0.05)
    assert not accepts(0, 72, 0.05)
    # What the issue saw: 60 clean reviews have an upper bound of 6.0%, so they always reject.
    assert not accepts(0, 60, 0.05)


@pytest.mark.parametrize(("aql", "size"), [(0.01, 381), (0.02, 189), (0.10, 35), (0.25, 12), (0.5, 4), (1.0, 1)])
def test_the_minimum_sample_at_other_acceptable_quality_levels(aql, size):
    assert minimum_sample_size(aql) == size


def test_the_rule_is_the_wilson_upper_bound_strictly_below_the_aql_as_statsmodels_computes_it():
    for errors, size in [(0, 73), (1, 100), (3, 200), (10, 120)]:
        _, upper = proportion_confint(errors, size, alpha=0.05, method="wilson")
        for aql in (0.03, 0.05, 0.08, 0.1):
            assert accepts(errors, size, aql) == (upper < aql)


@given(st.floats(min_value=0.001, max_value=1.0))
def test_the_minimum_sample_is_the_first_size_that_accepts_with_no_errors(aql):
    size = minimum_sample_size(aql)
    assert accepts(0, size, aql)
    assert size == 1 or not accepts(0, size - 1, aql)


def test_an_aql_of_zero_accepts_no_sample_and_a_share_outside_zero_to_one_is_refused():
    assert minimum_sample_size(0.0) is None
    assert not accepts(0, 10_000, 0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        minimum_sample_size(1.5)


def test_one_error_needs_a_larger_sample_than_none():
    assert not accepts(1, 73, 0.05)
    assert accepts(1, 110, 0.05) and not accepts(1, 109, 0.05)


def test_the_qa_sample_draws_at_least_the_minimum_size_or_the_whole_batch():
    batch = [AnnotationFacts(annotation, annotator=annotation % 4) for annotation in range(1, 201)]
    settings = SamplingSettings(rate=0.1, min_per_annotator=0, first_tasks_in_full=0, minimum_size=73)
    sample = draw_sample(batch, [], settings, seed=3)
    assert sample.target == 73 and len(sample.items) == 73

    small = draw_sample(batch[:40], [], settings, seed=3)
    assert len(small.items) == 40, "a batch smaller than the minimum is reviewed whole"

    plenty = draw_sample(batch, [], SamplingSettings(rate=0.5, min_per_annotator=0, first_tasks_in_full=0), seed=3)
    assert len(plenty.items) == 100, "the base rate wins when it asks for more"
