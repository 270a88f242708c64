"""A batch's annotations column-wise: the latest answer per task and annotator, as `latest_ratings` keeps it."""

from __future__ import annotations

import numpy as np
import pytest

from projects.quality.stats.agreement import latest_ratings
from projects.quality.stats.batch_labels import BatchLabels
from projects.quality.stats.bootstrap import (
    LabelCounts,
    fleiss_kappa_statistic,
    krippendorff_alpha_statistic,
    percent_agreement_statistic,
)


def random_rows(seed: int, count: int) -> list[tuple]:
    """Annotations in id order: few tasks and annotators, so re-labels and withdrawn answers (None) are common."""
    generator = np.random.default_rng(seed)
    rows = []
    for annotation in range(1, count + 1):
        answer = [None, "refund", "repair", "exchange"][generator.integers(4)]
        lead_time = None if generator.random() < 0.1 else float(generator.integers(1, 100))
        answers = {} if answer is None else {"scenario": answer}
        rows.append((annotation, int(generator.integers(100, 110)), int(generator.integers(1, 5)), lead_time, answers))
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_latest_answers_are_those_of_latest_ratings_in_the_same_order(seed):
    rows = random_rows(seed, 80)
    labels = BatchLabels.from_rows(rows, ["scenario"])

    latest = labels.latest("scenario").by_item(labels.answers["scenario"].values)

    expected = latest_ratings((task, annotator, answers.get("scenario")) for _, task, annotator, _, answers in rows)
    assert list(latest.items()) == list(expected.items())
    assert [list(by_annotator) for by_annotator in latest.values()] == [list(a) for a in expected.values()]


def test_columns_keep_the_annotations_order_and_unknown_lead_times_are_nan():
    rows = [(1, 10, 7, 3.5, {"scenario": "refund"}), (2, 10, 8, None, {})]

    labels = BatchLabels.from_rows(rows, ["scenario"])

    assert labels.annotation.tolist() == [1, 2]
    assert np.isnan(labels.lead_time[1])
    assert labels.answers["scenario"].codes.tolist() == [0, -1]
    assert labels.answers["scenario"].values == ("refund",)


def test_no_annotations_no_answers():
    labels = BatchLabels.from_rows([], ["scenario"])

    assert len(labels) == 0
    assert labels.latest("scenario").by_item() == {}


@pytest.mark.parametrize("seed", range(4))
def test_rated_counts_give_the_statistics_of_the_items_with_two_ratings_or_more(seed):
    rows = random_rows(seed, 120)
    labels = BatchLabels.from_rows(rows, ["scenario"])
    latest = labels.latest("scenario")
    items = [list(by_annotator.values()) for by_annotator in latest.by_item().values()]
    kept = [item for item in items if len(item) >= 2]

    counts, dropped = latest.rated_counts()

    assert (len(counts), dropped) == (len(kept), len(items) - len(kept))
    for statistic in (fleiss_kappa_statistic, krippendorff_alpha_statistic, percent_agreement_statistic):
        assert statistic(LabelCounts(counts))(np.ones(len(kept))) == statistic(kept)(np.ones(len(kept)))


@pytest.mark.parametrize("seed", range(4))
def test_pairs_list_each_two_annotators_answers_on_their_common_tasks_by_pair_then_task(seed):
    rows = random_rows(seed, 120)
    labels = BatchLabels.from_rows(rows, ["scenario"])
    latest = labels.latest("scenario")
    rank_of = {annotator: 4 - annotator for annotator in range(1, 5)}  # any order of annotators

    first, second, first_codes, second_codes = latest.pairs(np.array([rank_of[a] for a in latest.annotator]))

    expected = []
    for by_annotator in latest.by_item().values():
        ranked = sorted(by_annotator, key=rank_of.__getitem__)
        expected.extend(
            (rank_of[a], rank_of[b], by_annotator[a], by_annotator[b])
            for position, a in enumerate(ranked)
            for b in ranked[position + 1 :]
        )
    expected.sort(key=lambda pair: pair[:2])  # stable: tasks stay in first-seen order within a pair
    pairs = zip(first.tolist(), second.tolist(), first_codes.tolist(), second_codes.tolist(), strict=True)
    assert list(pairs) == expected
