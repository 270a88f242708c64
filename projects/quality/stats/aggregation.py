"""One label per item from several annotators' labels (pure): majority vote and Dawid-Skene.

Both take (item, annotator, label) ratings and return an `ItemLabel` per item, with a confidence
(vote share or posterior probability). A tie is never broken: the item gets no label and lists
the tied labels, so it goes to adjudication. Arrival order and label order decide nothing.
The services use the column-wise forms (`CodedRatings` in, `ItemLabels` out): a batch has a hundred
thousand items, and an object per item costs more than the maths.

Dawid-Skene is crowd-kit's `DawidSkene` (1.4.2), step for step in NumPy over integer codes:
majority-vote initialisation, E-step in log2 with each item's row shifted to its maximum, M-step with
error rates floored at 1e-10 among the labels each annotator gave, the evidence lower bound per rating
as the stopping rule, the same iterations and tolerance. crowd-kit runs each step through pandas joins
and group-bys, five times our cost on a batch; the tests hold both to the same posteriors, priors,
confusion matrices and iteration counts on simulated crowds, with and without gold.

Gold in Dawid-Skene: gold answers are held fixed as crowd-kit does with `true_labels`: those items'
label distributions are set to the gold label both in the majority-vote initialisation and after
every E-step. So each annotator's confusion matrix is anchored on items whose truth is known, and
gold items come back with their gold label at confidence 1. We rejected the alternative, adding gold
as one more "trusted" annotator: EM would estimate that annotator's reliability like anyone else's,
so gold would only be as trusted as the crowd let it be."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from projects.quality.stats.agreement import Label, Rating, latest_ratings

# Posteriors this close count as equal: EM on symmetric evidence lands on equal values up to rounding.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ItemLabel:
    item: Hashable
    label: Label | None  # None on a tie: the item goes to adjudication
    confidence: float  # vote share (majority vote) or posterior (Dawid-Skene) of the top label, tied or not
    probabilities: dict[Label, float]
    ratings: int
    tied_labels: tuple[Label, ...] = ()  # labels sharing the top confidence; empty unless tied
    is_gold: bool = False

    @property
    def is_tie(self) -> bool:
        return bool(self.tied_labels)


@dataclass(frozen=True)
class AnnotatorConfusion:
    annotator: Hashable
    labels: tuple[Label, ...]
    # matrix[i, j]: probability the annotator answers labels[j] when the truth is labels[i]; rows sum to 1.
    matrix: np.ndarray


@dataclass(frozen=True)
class CodedRatings:
    """Ratings as codes: per rating, its item, annotator and label as positions in the three id lists.

    At most one rating per item and annotator (their latest), and every item has one at least.
    """

    item_ids: Sequence[Hashable]
    annotator_ids: Sequence[Hashable]
    label_values: tuple[Label, ...]  # in display order (`_sorted_labels`)
    items: np.ndarray  # int64 per rating
    annotators: np.ndarray
    labels: np.ndarray

    def votes(self) -> np.ndarray:
        """Items × labels: how many annotators gave each label."""
        size = len(self.label_values)
        cells = np.bincount(self.items * size + self.labels, minlength=len(self.item_ids) * size)
        return cells.reshape(len(self.item_ids), size)


@dataclass(frozen=True)
class ItemLabels:
    """What a list of `ItemLabel` says, column-wise: a batch's hundred thousand items without an object each."""

    item_ids: Sequence[Hashable]
    labels: tuple[Label, ...]
    probabilities: np.ndarray  # items × labels
    ratings: np.ndarray  # per item
    is_gold: np.ndarray  # per item
    voted_only: bool = False  # majority vote: an item's probabilities name only the labels it was given

    def winners(self) -> tuple[np.ndarray, np.ndarray]:
        """Per item: the position of its label in `labels`, -1 on a tie; and its confidence, tied or not."""
        if not len(self.item_ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        top = self.probabilities.max(axis=1)
        leaders = top[:, None] - self.probabilities <= TIE_TOLERANCE
        if self.voted_only:
            leaders &= self.probabilities > 0
        return np.where(leaders.sum(axis=1) > 1, -1, leaders.argmax(axis=1)), top

    def item_labels(self) -> list[ItemLabel]:
        columns = (self.probabilities.tolist(), self.ratings.tolist(), self.is_gold.tolist())
        rows = zip(self.item_ids, *columns, strict=True)
        if self.voted_only:
            return [
                _item_label(item, {label: p for label, p in zip(self.labels, row, strict=True) if p > 0}, ratings, gold)
                for item, row, ratings, gold in rows
            ]
        return [
            _item_label(item, dict(zip(self.labels, row, strict=True)), ratings, gold)
            for item, row, ratings, gold in rows
        ]


@dataclass(frozen=True)
class DawidSkeneResult:
    table: ItemLabels
    priors: dict[Label, float]  # estimated share of each true label
    confusions: dict[Hashable, AnnotatorConfusion] = field(default_factory=dict)
    iterations: int = 0

    @property
    def labels(self) -> tuple[Label, ...]:
        return self.table.labels

    @cached_property
    def items(self) -> list[ItemLabel]:
        return self.table.item_labels()


def sorted_labels(labels: Iterable[Label]) -> tuple[Label, ...]:
    # Only for stable display; sorting never picks a winner.
    return tuple(sorted(labels, key=str))


def _item_label(item: Hashable, probabilities: dict[Label, float], ratings: int, is_gold: bool = False) -> ItemLabel:
    top = max(probabilities.values())
    leaders = [label for label, probability in probabilities.items() if top - probability <= TIE_TOLERANCE]
    if len(leaders) > 1:
        return ItemLabel(item, None, top, probabilities, ratings, sorted_labels(leaders), is_gold)
    return ItemLabel(item, leaders[0], top, probabilities, ratings, is_gold=is_gold)


def coded_ratings(
    by_item: Mapping[Hashable, Mapping[Hashable, Label]], extra_labels: Iterable[Label] = ()
) -> CodedRatings:
    """Ratings shaped by `agreement.latest_ratings` as codes; items without a rating left out, first-seen order kept."""
    by_item = {item: by_annotator for item, by_annotator in by_item.items() if by_annotator}
    labels = sorted_labels(
        {label for by_annotator in by_item.values() for label in by_annotator.values()} | set(extra_labels)
    )
    label_code = {label: code for code, label in enumerate(labels)}
    annotator_code: dict[Hashable, int] = {}
    item_codes, annotator_codes, label_codes = [], [], []
    for code, by_annotator in enumerate(by_item.values()):
        for annotator, label in by_annotator.items():
            item_codes.append(code)
            annotator_codes.append(annotator_code.setdefault(annotator, len(annotator_code)))
            label_codes.append(label_code[label])
    return CodedRatings(
        item_ids=list(by_item),
        annotator_ids=list(annotator_code),
        label_values=labels,
        items=np.array(item_codes, dtype=np.int64),
        annotators=np.array(annotator_codes, dtype=np.int64),
        labels=np.array(label_codes, dtype=np.int64),
    )


def majority_vote(ratings: Iterable[Rating]) -> list[ItemLabel]:
    """The most frequent label per item with its vote share, items in first-seen order; ties reported, not broken."""
    return majority_vote_by_item(latest_ratings(ratings))


def majority_vote_by_item(by_item: Mapping[Hashable, Mapping[Hashable, Label]]) -> list[ItemLabel]:
    """`majority_vote` of ratings already shaped by `agreement.latest_ratings`."""
    return majority_vote_table(coded_ratings(by_item)).item_labels()


def majority_vote_table(ratings: CodedRatings) -> ItemLabels:
    """`majority_vote` of coded ratings, column-wise."""
    votes = ratings.votes()
    totals = votes.sum(axis=1)
    return ItemLabels(
        item_ids=ratings.item_ids,
        labels=ratings.label_values,
        probabilities=votes / totals[:, None],
        ratings=totals,
        is_gold=np.zeros(len(ratings.item_ids), dtype=bool),
        voted_only=True,
    )


def dawid_skene(
    ratings: Iterable[Rating],
    *,
    gold: Mapping[Hashable, Label] | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
) -> DawidSkeneResult:
    """Dawid-Skene (as crowd-kit's) with gold held fixed: a posterior per item, a confusion matrix per annotator.

    Deterministic: EM starts from the majority-vote distribution, with no random initialisation.
    Gold answers for items nobody rated are ignored.
    """
    return dawid_skene_by_item(latest_ratings(ratings), gold=gold, max_iterations=max_iterations, tolerance=tolerance)


def dawid_skene_by_item(
    by_item: Mapping[Hashable, Mapping[Hashable, Label]],
    *,
    gold: Mapping[Hashable, Label] | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
) -> DawidSkeneResult:
    """`dawid_skene` of ratings already shaped by `agreement.latest_ratings`."""
    rated = {item for item, by_annotator in by_item.items() if by_annotator}
    gold_labels = {item: label for item, label in (gold or {}).items() if item in rated and label is not None}
    ratings = coded_ratings(by_item, gold_labels.values())
    label_code = {label: code for code, label in enumerate(ratings.label_values)}
    gold_codes = np.array(
        [label_code[gold_labels[item]] if item in gold_labels else -1 for item in ratings.item_ids], dtype=np.int64
    )
    return dawid_skene_table(ratings, gold_codes, max_iterations=max_iterations, tolerance=tolerance)


def dawid_skene_table(
    ratings: CodedRatings, gold: np.ndarray, *, max_iterations: int = 100, tolerance: float = 1e-5
) -> DawidSkeneResult:
    """`dawid_skene` of coded ratings; `gold` holds each item's gold label code, -1 where it has none."""
    if not len(ratings.item_ids):
        empty = ItemLabels([], (), np.zeros((0, 0)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool))
        return DawidSkeneResult(table=empty, priors={})
    fit = fit_dawid_skene(ratings, gold, max_iterations=max_iterations, tolerance=tolerance)
    labels = ratings.label_values
    table = ItemLabels(
        item_ids=ratings.item_ids,
        labels=labels,
        probabilities=fit.probabilities,
        ratings=np.bincount(ratings.items, minlength=len(ratings.item_ids)),
        is_gold=gold >= 0,
    )
    confusions = {
        annotator: AnnotatorConfusion(annotator, labels, np.ascontiguousarray(fit.confusions[code]))
        for code, annotator in enumerate(ratings.annotator_ids)
    }
    priors = dict(zip(labels, fit.priors.tolist(), strict=True))
    return DawidSkeneResult(table=table, priors=priors, confusions=confusions, iterations=fit.iterations)


# crowd-kit's floor for error rates, priors and posteriors (its _EPS).
FLOOR = 1e-10


@dataclass(frozen=True)
class DawidSkeneFit:
    probabilities: np.ndarray  # items × labels: posterior of each true label, floored at FLOOR as crowd-kit's
    priors: np.ndarray  # per label: its mean posterior
    confusions: np.ndarray  # annotators × true label × given label; 0 for labels an annotator never gave
    iterations: int


def fit_dawid_skene(
    ratings: CodedRatings, gold: np.ndarray, *, max_iterations: int = 100, tolerance: float = 1e-5
) -> DawidSkeneFit:
    """crowd-kit's `DawidSkene(n_iter=max_iterations, tol=tolerance).fit(ratings, true_labels=gold)` over codes.

    A label nobody gave but gold holds is a column like the others (crowd-kit would give it a prior of 1).
    """
    size = len(ratings.label_values)
    shape = (len(ratings.annotator_ids), size, size)  # annotator × given label × true label, as crowd-kit's errors_
    cells = ratings.annotators * size + ratings.labels
    given = (np.bincount(cells, minlength=shape[0] * size) > 0).reshape(shape[:2])
    golden = gold >= 0
    gold_rows = np.eye(size)[gold[golden]]

    def hold_gold(probabilities: np.ndarray) -> np.ndarray:
        probabilities[golden] = gold_rows
        return probabilities

    def m_step(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        per_rating = probabilities[ratings.items].T
        sums = np.stack([np.bincount(cells, weights=column, minlength=shape[0] * size) for column in per_rating], 1)
        sums = sums.reshape(shape)
        errors = np.where(given[:, :, None], np.maximum(sums, FLOOR), 0.0)
        return sums, errors / errors.sum(axis=1, keepdims=True)

    def e_step(priors: np.ndarray, errors: np.ndarray) -> np.ndarray:
        per_rating = np.log2(np.where(given[:, :, None], errors, 1.0))[ratings.annotators, ratings.labels].T
        log_likelihoods = np.log2(np.maximum(priors, FLOOR)) + np.stack(
            [np.bincount(ratings.items, weights=column, minlength=len(ratings.item_ids)) for column in per_rating], 1
        )
        scaled = np.exp2(log_likelihoods - log_likelihoods.max(axis=1, keepdims=True))
        return scaled / scaled.sum(axis=1, keepdims=True)

    def evidence_lower_bound(
        probabilities: np.ndarray, priors: np.ndarray, sums: np.ndarray, errors: np.ndarray
    ) -> float:
        # crowd-kit's, per rating: the expected log joint (every rating counts its item's log prior), plus the
        # posteriors' entropy; the per-rating sums are the M-step's, grouped by annotator and given label.
        joint = (sums * np.log(np.where(given[:, :, None], errors, 1.0))).sum()
        joint += (np.log(np.maximum(priors, FLOOR)) * sums.sum(axis=(0, 1))).sum()
        floored = np.maximum(probabilities, FLOOR)
        return float(joint - (np.log(floored) * floored).sum())

    probabilities = hold_gold(ratings.votes() / np.bincount(ratings.items, minlength=len(ratings.item_ids))[:, None])
    priors = probabilities.mean(axis=0)
    _, errors = m_step(probabilities)
    loss, iterations = -np.inf, 0
    for _ in range(max_iterations):
        probabilities = hold_gold(e_step(priors, errors))
        priors = probabilities.mean(axis=0)
        sums, errors = m_step(probabilities)
        new_loss = evidence_lower_bound(probabilities, priors, sums, errors) / len(ratings.items)
        iterations += 1
        if new_loss - loss < tolerance:
            break
        loss = new_loss
    if iterations:
        # crowd-kit floors the posteriors in place when it computes the bound: its results carry the floor.
        probabilities = np.maximum(probabilities, FLOOR)
    return DawidSkeneFit(probabilities, priors, errors.transpose(0, 2, 1), iterations)
