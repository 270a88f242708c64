"""One label per item from several annotators' labels (pure): majority vote and Dawid-Skene.

Both take (item, annotator, label) ratings and return an `ItemLabel` per item, with a confidence
(vote share or posterior probability). A tie is never broken: the item gets no label and lists
the tied labels, so it goes to adjudication. Arrival order and label order decide nothing.

Gold in Dawid-Skene: gold answers are passed to crowd-kit as `true_labels`. crowd-kit then fixes
those items' label distributions to the gold label, both in the majority-vote initialisation and
after every E-step. So each annotator's confusion matrix is anchored on items whose truth is
known, and gold items come back with their gold label at confidence 1. We rejected the
alternative, adding gold as one more "trusted" annotator: EM would estimate that annotator's
reliability like anyone else's, so gold would only be as trusted as the crowd let it be.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from projects.quality.agreement import Label, Rating, latest_ratings

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
class DawidSkeneResult:
    items: list[ItemLabel]
    labels: tuple[Label, ...]
    priors: dict[Label, float]  # estimated share of each true label
    confusions: dict[Hashable, AnnotatorConfusion] = field(default_factory=dict)
    iterations: int = 0


def _sorted_labels(labels: Iterable[Label]) -> tuple[Label, ...]:
    # Only for stable display; sorting never picks a winner.
    return tuple(sorted(labels, key=str))


def _item_label(item: Hashable, probabilities: dict[Label, float], ratings: int, is_gold: bool = False) -> ItemLabel:
    top = max(probabilities.values())
    leaders = [label for label, probability in probabilities.items() if top - probability <= TIE_TOLERANCE]
    if len(leaders) > 1:
        return ItemLabel(item, None, top, probabilities, ratings, _sorted_labels(leaders), is_gold)
    return ItemLabel(item, leaders[0], top, probabilities, ratings, is_gold=is_gold)


def majority_vote(ratings: Iterable[Rating]) -> list[ItemLabel]:
    """The most frequent label per item with its vote share, items in first-seen order; ties reported, not broken."""
    return majority_vote_by_item(latest_ratings(ratings))


def majority_vote_by_item(by_item: Mapping[Hashable, Mapping[Hashable, Label]]) -> list[ItemLabel]:
    """`majority_vote` of ratings already shaped by `agreement.latest_ratings`."""
    results = []
    for item, by_annotator in by_item.items():
        if not by_annotator:
            continue
        labels = list(by_annotator.values())
        first = labels[0]
        if all(label == first for label in labels):
            # Unanimous, as most items are: what the general case below gives, without counting.
            results.append(ItemLabel(item, first, 1.0, {first: 1.0}, len(labels)))
            continue
        votes = Counter(labels)
        total = sum(votes.values())
        shares = {label: votes[label] / total for label in _sorted_labels(votes)}
        results.append(_item_label(item, shares, total))
    return results


def dawid_skene(
    ratings: Iterable[Rating],
    *,
    gold: Mapping[Hashable, Label] | None = None,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
) -> DawidSkeneResult:
    """Dawid-Skene (crowd-kit) with gold answers held fixed: a posterior per item and a confusion matrix per annotator.

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
    # crowd-kit pulls in pandas, scikit-learn and transformers (~150 MB): loaded only when EM runs.
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    by_item = {item: by_annotator for item, by_annotator in by_item.items() if by_annotator}
    if not by_item:
        return DawidSkeneResult(items=[], labels=(), priors={})
    gold_labels = {item: label for item, label in (gold or {}).items() if item in by_item and label is not None}
    labels = _sorted_labels(
        {label for by_annotator in by_item.values() for label in by_annotator.values()} | set(gold_labels.values())
    )
    items = list(by_item)
    # crowd-kit sees integer codes only: item ids, annotator ids and labels may be any hashable
    # (tuples, UUIDs, booleans), which pandas indexes would otherwise reinterpret.
    annotator_code: dict[Hashable, int] = {}
    label_code = {label: code for code, label in enumerate(labels)}
    item_codes, annotator_codes, label_codes = [], [], []
    for code, by_annotator in enumerate(by_item.values()):
        for annotator, label in by_annotator.items():
            item_codes.append(code)
            annotator_codes.append(annotator_code.setdefault(annotator, len(annotator_code)))
            label_codes.append(label_code[label])
    annotators = list(annotator_code)
    frame = pd.DataFrame(
        {
            "task": np.array(item_codes, dtype=np.int64),
            "worker": np.array(annotator_codes, dtype=np.int64),
            "label": np.array(label_codes, dtype=np.int64),
        }
    )
    item_code = {item: code for code, item in enumerate(items)}
    true_labels = (
        pd.Series({item_code[item]: label_code[label] for item, label in gold_labels.items()}, dtype="int64")
        if gold_labels
        else None
    )
    model = DawidSkene(n_iter=max_iterations, tol=tolerance).fit(frame, true_labels)
    codes = range(len(labels))
    probabilities = model.probas_.reindex(index=range(len(items)), columns=codes).fillna(0.0).to_numpy()
    results = [
        _item_label(item, dict(zip(labels, row, strict=True)), len(by_annotator), item in gold_labels)
        for item, by_annotator, row in zip(items, by_item.values(), probabilities.tolist(), strict=True)
    ]
    priors = model.priors_.reindex(codes).fillna(0.0)
    # crowd-kit's errors_ rows are (worker, given label), columns the true label.
    errors = model.errors_.reindex(
        index=pd.MultiIndex.from_product([range(len(annotators)), codes], names=["worker", "label"]), columns=codes
    )
    matrices = errors.fillna(0.0).to_numpy().reshape(len(annotators), len(labels), len(labels)).transpose(0, 2, 1)
    confusions = {
        annotator: AnnotatorConfusion(annotator, labels, np.ascontiguousarray(matrices[code]))
        for code, annotator in enumerate(annotators)
    }
    return DawidSkeneResult(
        items=results,
        labels=labels,
        priors={label: float(priors.iloc[label_code[label]]) for label in labels},
        confusions=confusions,
        iterations=len(model.loss_history_),
    )
