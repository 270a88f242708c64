"""Majority vote and Dawid-Skene: ties go to adjudication, gold is held fixed, a spammer is found out."""

from __future__ import annotations

import numpy as np
import pytest

from projects.quality.stats.aggregation import CodedRatings, dawid_skene, fit_dawid_skene, majority_vote

# crowd-kit 1.4.2 still uses pandas arguments that pandas 3.1 deprecates (inplace=, copy=).
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")

SCENARIOS = ("refund", "exchange", "repair")


def simulated_crowd(seed: int, items: int = 200) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """Three honest annotators of differing accuracy and one spammer who answers at random."""
    generator = np.random.default_rng(seed)
    truth = {f"task-{index}": SCENARIOS[generator.integers(3)] for index in range(items)}
    ratings = []
    for item, true_label in truth.items():
        for annotator, accuracy in (("ann", 0.85), ("bo", 0.8), ("chen", 0.75)):
            wrong = [label for label in SCENARIOS if label != true_label]
            label = true_label if generator.random() < accuracy else wrong[generator.integers(2)]
            ratings.append((item, annotator, label))
        ratings.append((item, "spammer", SCENARIOS[generator.integers(3)]))
    return truth, ratings


def accuracy(results, truth) -> float:
    return float(np.mean([result.label == truth[result.item] for result in results]))


# -- majority vote -----------------------------------------------------------------------------------


def test_majority_vote_picks_the_most_frequent_label_with_its_share():
    ratings = [("t1", "ann", "refund"), ("t1", "bo", "refund"), ("t1", "chen", "repair"), ("t2", "ann", "exchange")]

    first, second = majority_vote(ratings)

    assert (first.item, first.label, first.ratings) == ("t1", "refund", 3)
    assert first.confidence == pytest.approx(2 / 3)
    assert first.probabilities == pytest.approx({"refund": 2 / 3, "repair": 1 / 3})
    assert (second.label, second.confidence, second.is_tie) == ("exchange", 1.0, False)


@pytest.mark.parametrize(
    "ratings",
    [
        [("t1", "ann", "refund"), ("t1", "bo", "repair")],
        [("t1", "bo", "repair"), ("t1", "ann", "refund")],
        [("t1", "ann", "repair"), ("t1", "bo", "refund")],
        [("t1", "ann", "repair"), ("t1", "bo", "refund"), ("t1", "chen", "repair"), ("t1", "dee", "refund")],
    ],
)
def test_majority_vote_reports_a_tie_whatever_the_order_of_ratings_or_labels(ratings):
    (result,) = majority_vote(ratings)

    assert result.label is None
    assert result.is_tie
    assert result.tied_labels == ("refund", "repair")
    assert result.confidence == 0.5


def test_majority_vote_tie_among_the_leaders_only():
    labels = ["refund", "repair", "refund", "repair", "exchange"]
    ratings = [("t1", annotator, label) for annotator, label in zip("abcde", labels, strict=True)]

    (result,) = majority_vote(ratings)

    assert (result.label, result.tied_labels) == (None, ("refund", "repair"))
    assert result.confidence == pytest.approx(0.4)


def test_majority_vote_counts_an_annotator_once_with_their_latest_label():
    ratings = [("t1", "ann", "repair"), ("t1", "bo", "refund"), ("t1", "ann", "refund")]

    (result,) = majority_vote(ratings)

    assert (result.label, result.ratings, result.confidence) == ("refund", 2, 1.0)


# -- Dawid-Skene -------------------------------------------------------------------------------------


def test_dawid_skene_recovers_the_truth_from_a_crowd_with_one_spammer():
    truth, ratings = simulated_crowd(seed=0)

    result = dawid_skene(ratings)

    assert accuracy(result.items, truth) >= 0.9
    assert accuracy(result.items, truth) > accuracy(majority_vote(ratings), truth)
    diagonals = {annotator: np.diag(confusion.matrix).mean() for annotator, confusion in result.confusions.items()}
    assert diagonals["spammer"] < 0.4
    assert min(diagonals["ann"], diagonals["bo"], diagonals["chen"]) > 0.7


def test_dawid_skene_confusion_matrices_are_rows_of_probabilities_over_all_labels():
    _, ratings = simulated_crowd(seed=1, items=60)

    result = dawid_skene(ratings)

    assert result.labels == ("exchange", "refund", "repair")
    for confusion in result.confusions.values():
        assert confusion.matrix.shape == (3, 3)
        assert confusion.matrix.sum(axis=1) == pytest.approx(np.ones(3))
    assert sum(result.priors.values()) == pytest.approx(1.0)
    for item in result.items:
        assert sum(item.probabilities.values()) == pytest.approx(1.0)
        assert item.confidence == max(item.probabilities.values())


def test_dawid_skene_is_deterministic():
    _, ratings = simulated_crowd(seed=3, items=60)

    first, again = dawid_skene(ratings), dawid_skene(ratings)

    assert first.items == again.items
    assert first.iterations == again.iterations


def test_dawid_skene_with_gold_sees_through_annotators_who_swap_labels():
    # Two of three annotators answer "yes" for "no" and back: the majority is wrong almost everywhere.
    generator = np.random.default_rng(7)
    swapped = {"yes": "no", "no": "yes"}
    truth = {f"task-{index}": ("yes", "no")[generator.integers(2)] for index in range(120)}
    ratings = []
    for item, true_label in truth.items():
        ratings.append((item, "honest", true_label if generator.random() < 0.9 else swapped[true_label]))
        for annotator in ("swapper-1", "swapper-2"):
            ratings.append((item, annotator, swapped[true_label] if generator.random() < 0.9 else true_label))
    gold = {item: truth[item] for item in list(truth)[:20]}
    unseen = [item for item in truth if item not in gold]

    without_gold = dawid_skene(ratings)
    with_gold = dawid_skene(ratings, gold=gold)

    def accuracy_on_unseen(result) -> float:
        return accuracy([item for item in result.items if item.item in unseen], truth)

    assert accuracy_on_unseen(without_gold) < 0.2
    assert accuracy_on_unseen(with_gold) > 0.9
    swapper = with_gold.confusions["swapper-1"]
    assert swapper.matrix[swapper.labels.index("yes"), swapper.labels.index("no")] > 0.8


def test_dawid_skene_returns_gold_items_with_their_gold_answer_even_against_the_crowd():
    ratings = [("t1", "ann", "refund"), ("t1", "bo", "refund"), ("t2", "ann", "repair"), ("t2", "bo", "repair")]

    result = dawid_skene(ratings, gold={"t1": "exchange", "not-rated": "refund"})

    by_item = {item.item: item for item in result.items}
    assert (by_item["t1"].label, by_item["t1"].confidence, by_item["t1"].is_gold) == ("exchange", 1.0, True)
    assert by_item["t2"].is_gold is False
    assert set(by_item) == {"t1", "t2"}
    assert result.labels == ("exchange", "refund", "repair")


def test_dawid_skene_reports_symmetric_evidence_as_a_tie():
    (result,) = dawid_skene([("t1", "ann", "refund"), ("t1", "bo", "repair")]).items

    assert result.label is None
    assert result.tied_labels == ("refund", "repair")
    assert result.confidence == pytest.approx(0.5)


def test_dawid_skene_with_a_single_label_gives_full_confidence_and_no_nan():
    result = dawid_skene([("t1", "ann", "refund"), ("t1", "bo", "refund"), ("t2", "ann", "refund")])

    assert [(item.label, item.confidence) for item in result.items] == [("refund", 1.0), ("refund", 1.0)]
    assert result.confusions["ann"].matrix.tolist() == [[1.0]]


def test_dawid_skene_accepts_any_hashable_ids():
    ratings = [((1, "a"), 10, True), ((1, "a"), 11, True), ((2, "b"), 10, False), ((2, "b"), 11, False)]

    result = dawid_skene(ratings, gold={(2, "b"): False})

    assert [(item.item, item.label) for item in result.items] == [((1, "a"), True), ((2, "b"), False)]
    assert set(result.confusions) == {10, 11}


def test_dawid_skene_of_no_ratings_is_empty():
    result = dawid_skene([])

    assert (result.items, result.labels, result.confusions) == ([], (), {})


# -- Dawid-Skene against crowd-kit's ----------------------------------------------------------------


def crowd(seed: int, items: int, labels: int, annotators: int, per_item: int, gold_share: float):
    """Coded ratings of a crowd of mixed skill (a spammer among them), and gold codes for a share of the items."""
    generator = np.random.default_rng(seed)
    truth = generator.choice(labels, size=items, p=np.arange(labels, 0, -1) / np.arange(labels, 0, -1).sum())
    skill = generator.uniform(0.3, 0.95, size=annotators)
    who = np.argsort(generator.random((items, annotators)), axis=1)[:, :per_item].ravel()
    item_codes = np.repeat(np.arange(items), per_item)
    right = generator.random(len(who)) < skill[who]
    given = np.where(right, truth[item_codes], (truth[item_codes] + generator.integers(1, labels, len(who))) % labels)
    given[who == 0] = 0  # annotator 0 always answers the first label
    ratings = CodedRatings(
        item_ids=list(range(items)),
        annotator_ids=list(range(annotators)),
        label_values=tuple(range(labels)),
        items=item_codes,
        annotators=who,
        labels=given,
    )
    gold = np.where(generator.random(items) < gold_share, truth, -1)
    return ratings, gold


@pytest.mark.parametrize(
    ("seed", "items", "labels", "annotators", "per_item", "gold_share"),
    [(0, 2000, 3, 20, 3, 0.1), (1, 500, 2, 8, 5, 0.0), (2, 3000, 5, 50, 3, 0.05), (3, 300, 4, 6, 2, 0.3)],
)
def test_dawid_skene_equals_crowd_kits_on_the_same_ratings(seed, items, labels, annotators, per_item, gold_share):
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    ratings, gold = crowd(seed, items, labels, annotators, per_item, gold_share)
    frame = pd.DataFrame({"task": ratings.items, "worker": ratings.annotators, "label": ratings.labels})
    true_labels = pd.Series(gold[gold >= 0], index=np.flatnonzero(gold >= 0), dtype="int64") if gold_share else None

    ours = fit_dawid_skene(ratings, gold, max_iterations=100, tolerance=1e-5)
    theirs = DawidSkene(n_iter=100, tol=1e-5).fit(frame, true_labels)

    assert ours.iterations == len(theirs.loss_history_)
    codes = range(labels)
    probabilities = theirs.probas_.reindex(index=range(items), columns=codes).to_numpy()
    np.testing.assert_allclose(ours.probabilities, probabilities, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.priors, theirs.priors_.reindex(codes).to_numpy(), rtol=1e-9, atol=1e-12)
    errors = theirs.errors_.reindex(
        index=pd.MultiIndex.from_product([range(annotators), codes], names=["worker", "label"]), columns=codes
    )
    expected = errors.fillna(0.0).to_numpy().reshape(annotators, labels, labels).transpose(0, 2, 1)
    np.testing.assert_allclose(ours.confusions, expected, rtol=1e-9, atol=1e-12)
