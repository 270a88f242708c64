"""QA sampling maths: risk weights and reasons, first tasks in full, minimums, base rate, same seed same sample."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from projects.quality.stats.anomalies import FAST, GOLD_FAILURE_STREAK, STRAIGHT_LINING, Flag, risk_weight_for
from projects.quality.stats.sampling import (
    ANNOTATOR_MINIMUM,
    BASE_RATE,
    FASTER_THAN_OWN_NORM,
    FASTER_THAN_PEERS,
    FIRST_TASKS,
    FLAGGED,
    LOW_AGREEMENT,
    LOW_GOLD_ACCURACY,
    AnnotationFacts,
    AnnotatorFacts,
    SamplingSettings,
    annotator_risk,
    draw_sample,
    risk_weights,
    weighted_sample_without_replacement,
)


def annotations(per_annotator: dict[int, int], lead_time: float = 60.0) -> list[AnnotationFacts]:
    facts, next_id = [], 1
    for annotator, count in per_annotator.items():
        for _ in range(count):
            facts.append(AnnotationFacts(next_id, annotator, lead_time))
            next_id += 1
    return facts


def test_an_annotator_with_low_gold_accuracy_and_low_agreement_weighs_more():
    settings = SamplingSettings(rate=0.1)

    weight, reasons = annotator_risk(
        AnnotatorFacts(1, gold_accuracy=0.5, gold_seen=20, consensus_agreement=0.4, agreement_items=50), settings
    )

    assert weight == settings.gold_weight * settings.agreement_weight
    assert reasons == (LOW_GOLD_ACCURACY, LOW_AGREEMENT)


def test_too_little_evidence_is_no_risk_signal():
    settings = SamplingSettings(rate=0.1)

    weight, reasons = annotator_risk(
        AnnotatorFacts(1, gold_accuracy=0.0, gold_seen=2, consensus_agreement=0.0, agreement_items=1), settings
    )

    assert (weight, reasons) == (1.0, ())


def test_a_lead_time_far_below_own_and_peers_norm_is_flagged_each_way():
    settings = SamplingSettings(rate=0.1)
    facts = [AnnotationFacts(index, 1, 60.0) for index in range(1, 10)]
    facts += [AnnotationFacts(10, 1, 5.0)]
    facts += [AnnotationFacts(index, 2, 50.0) for index in range(11, 20)]

    weights = {weight.annotation: weight for weight in risk_weights(facts, [], settings)}

    assert weights[10].reasons == (FASTER_THAN_OWN_NORM, FASTER_THAN_PEERS)
    assert weights[10].weight == settings.fast_weight**2
    assert weights[1].reasons == ()
    assert weights[11].weight == 1.0


def test_a_consistently_fast_annotator_is_flagged_against_peers_only():
    settings = SamplingSettings(rate=0.1)
    facts = [AnnotationFacts(index, 1, 6.0) for index in range(1, 10)]
    facts += [AnnotationFacts(index, 2, 60.0) for index in range(10, 20)]

    weights = risk_weights(facts, [], settings)

    assert {weight.reasons for weight in weights if weight.annotator == 1} == {(FASTER_THAN_PEERS,)}


def test_the_sample_holds_the_base_rate_and_each_annotators_minimum():
    facts = annotations({1: 200, 2: 200, 3: 3})
    settings = SamplingSettings(rate=0.05, min_per_annotator=5, first_tasks_in_full=0)

    sample = draw_sample(facts, [], settings, seed=4)

    per_annotator = Counter(item.annotator for item in sample.items)
    assert sample.target == 21
    assert len(sample.items) == 21
    assert per_annotator[3] == 3  # all they made: fewer than the minimum
    assert per_annotator[1] >= 5 and per_annotator[2] >= 5
    assert len({item.annotation for item in sample.items}) == len(sample.items)


def test_first_tasks_are_all_drawn_and_say_so():
    facts = [AnnotationFacts(index, 1, 60.0, is_first_task=index <= 10) for index in range(1, 101)]
    settings = SamplingSettings(rate=0.0, min_per_annotator=12, first_tasks_in_full=10)

    sample = draw_sample(facts, [], settings, seed=1)

    reasons = {item.annotation: item.reasons[0] for item in sample.items}
    assert all(reasons[index] == FIRST_TASKS for index in range(1, 11))
    assert Counter(reasons.values()) == {FIRST_TASKS: 10, ANNOTATOR_MINIMUM: 2}


def test_same_seed_same_sample_whatever_the_input_order():
    facts = annotations({1: 50, 2: 50, 3: 50})
    settings = SamplingSettings(rate=0.2, min_per_annotator=3, first_tasks_in_full=0)

    first = draw_sample(facts, [], settings, seed=9)
    again = draw_sample(list(reversed(facts)), [], settings, seed=9)
    other = draw_sample(facts, [], settings, seed=10)

    assert first.items == again.items
    assert {item.annotation for item in first.items} != {item.annotation for item in other.items}
    assert {item.reasons[0] for item in first.items} <= {ANNOTATOR_MINIMUM, BASE_RATE}


def test_risky_annotators_are_drawn_more_often():
    facts = annotations({1: 100, 2: 100})
    risky = [AnnotatorFacts(2, gold_accuracy=0.4, gold_seen=30)]
    settings = SamplingSettings(rate=0.2, min_per_annotator=0, first_tasks_in_full=0)

    drawn = Counter()
    for seed in range(30):
        drawn.update(item.annotator for item in draw_sample(facts, risky, settings, seed).items)

    assert drawn[2] > 2 * drawn[1]
    summary = {row.annotator: row for row in draw_sample(facts, risky, settings, 0).annotators}
    assert summary[2].mean_weight == settings.gold_weight and summary[2].reasons == (LOW_GOLD_ACCURACY,)
    assert summary[1].mean_weight == 1.0


def test_weighted_draw_matches_inclusion_of_a_single_draw():
    # Drawing one item: the chance of each is its weight over the total.
    weights = [1.0, 2.0, 7.0]
    generator = np.random.default_rng(0)
    counts = Counter(weighted_sample_without_replacement(weights, 1, generator)[0] for _ in range(20000))

    assert [counts[index] / 20000 for index in range(3)] == pytest.approx([0.1, 0.2, 0.7], abs=0.015)


def test_weights_must_be_positive_and_the_rate_a_share():
    with pytest.raises(ValueError, match="positive"):
        weighted_sample_without_replacement([1.0, 0.0], 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="between 0 and 1"):
        SamplingSettings(rate=1.5)


@pytest.mark.parametrize("seed", range(5))
def test_fast_flags_compare_each_lead_time_with_the_medians_of_own_and_everyone_elses(seed):
    generator = np.random.default_rng(seed)
    facts = [
        AnnotationFacts(
            annotation,
            int(generator.integers(1, 6)),
            None if generator.random() < 0.1 else float(generator.integers(1, 40)),
        )
        for annotation in range(1, 200)
    ]
    settings = SamplingSettings(rate=0.1)

    weights = risk_weights(facts, [], settings)

    timed = [fact for fact in facts if fact.lead_time is not None]
    for fact, weight in zip(facts, weights, strict=True):
        own = np.median([other.lead_time for other in timed if other.annotator == fact.annotator] or [np.nan])
        peers = np.median([other.lead_time for other in timed if other.annotator != fact.annotator])
        lead_time = np.nan if fact.lead_time is None else fact.lead_time
        assert (FASTER_THAN_OWN_NORM in weight.reasons) == bool(lead_time < settings.fast_factor * own)
        assert (FASTER_THAN_PEERS in weight.reasons) == bool(lead_time < settings.fast_factor * peers)


def test_an_annotators_anomaly_flags_multiply_their_weight_and_are_named_among_the_reasons():
    flags = (Flag(FAST, "recent median 4 s, peers 30 s"), Flag(STRAIGHT_LINING, "'refund' on 95% of answers"))

    weight, reasons = annotator_risk(AnnotatorFacts(1, flags=flags), SamplingSettings(rate=0.1))

    assert weight == risk_weight_for(flags) == 6.0
    assert reasons == (FLAGGED[FAST], FLAGGED[STRAIGHT_LINING])


def test_a_flagged_annotator_is_drawn_more_often_and_their_sampled_items_say_why():
    facts = annotations({1: 200, 2: 200})
    flagged = [AnnotatorFacts(2, flags=(Flag(GOLD_FAILURE_STREAK, "5 gold tasks failed in a row"),))]
    settings = SamplingSettings(rate=0.1, min_per_annotator=0, first_tasks_in_full=0)

    sample = draw_sample(facts, flagged, settings, seed=5)

    drawn = Counter(item.annotator for item in sample.items)
    assert drawn[2] > 2 * drawn[1]
    for item in sample.items:
        assert (FLAGGED[GOLD_FAILURE_STREAK] in item.reasons) == (item.annotator == 2)
