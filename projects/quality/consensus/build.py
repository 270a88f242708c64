"""A batch's consensus, one label per task and choice or rating control (gold answer, latest adjudication,
else Dawid-Skene or majority vote from the pure `aggregation` module), and how often each annotator agrees
with it; `consensus_storage` writes it as ItemConsensus.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np

from projects.models import Adjudication, Batch, ItemConsensus, Task
from projects.quality.consensus.storage import ConsensusRows, store_consensus
from projects.quality.controls import AGGREGATED_TYPES, project_controls
from projects.quality.loading import gold_answers, load_batch_labels
from projects.quality.stats import agreement as stats
from projects.quality.stats.aggregation import (
    AnnotatorConfusion,
    CodedRatings,
    DawidSkeneResult,
    ItemLabel,
    ItemLabels,
    dawid_skene_table,
    majority_vote_table,
    sorted_labels,
)
from projects.quality.stats.batch_labels import NO_ANSWER, BatchLabels

# Below this the consensus label is not more likely than not: a person decides.
ADJUDICATION_CONFIDENCE = 0.5


def _json_label(label: Hashable) -> object:
    return sorted(label) if isinstance(label, frozenset) else label


def _label_key(label: Hashable) -> str:
    return "|".join(sorted(label)) if isinstance(label, frozenset) else str(label)


@dataclass(frozen=True)
class ControlAggregation:
    control: str
    method: str  # the method for items without gold or adjudication: "dawid_skene" or "majority"
    majority_table: ItemLabels
    dawid_skene: DawidSkeneResult | None
    confusions: dict[int, AnnotatorConfusion]  # annotator → confusion matrix against the consensus

    @property
    def consensus_table(self) -> ItemLabels:
        """Per task, the label the consensus rests on (before gold and adjudication), column-wise."""
        return self.dawid_skene.table if self.dawid_skene is not None else self.majority_table

    @cached_property
    def majority(self) -> list[ItemLabel]:
        return self.majority_table.item_labels()

    @cached_property
    def consensus(self) -> dict[int, ItemLabel]:
        """Task → the label the consensus rests on (before gold and adjudication)."""
        items = self.dawid_skene.items if self.dawid_skene is not None else self.majority
        return {item.item: item for item in items}


@dataclass(frozen=True)
class BatchAggregation:
    batch: int
    controls: dict[str, ControlAggregation]
    needs_adjudication: int = 0
    consensus_rows: int = 0


def _empirical_confusion(annotator: int, ratings: list[stats.Rating], truth: dict[int, Hashable]) -> AnnotatorConfusion:
    labels = tuple(sorted({label for _, _, label in ratings if label is not None} | set(truth.values()), key=str))
    index = {label: position for position, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)))
    for task, who, label in ratings:
        if who == annotator and label is not None and task in truth:
            counts[index[truth[task]], index[label]] += 1
    totals = counts.sum(axis=1, keepdims=True)
    matrix = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return AnnotatorConfusion(annotator, labels, matrix)


def _aggregate_control(labels: BatchLabels, name: str, gold: dict[int, Hashable]) -> ControlAggregation:
    answers = labels.answers[name]
    latest = labels.latest(name)
    # Items in first-seen order, as `agreement.latest_ratings` lists them, each with one rating at least.
    items = latest.item_index()
    item_ids = latest.task[np.flatnonzero(np.r_[True, items[1:] != items[:-1]])[: len(items)]].tolist()
    gold = {task: label for task, label in gold.items() if label is not None}
    rated_gold = [gold[task] for task in item_ids if task in gold]
    values = sorted_labels({*(answers.values[code] for code in np.unique(latest.codes).tolist()), *rated_gold})
    position = {label: index for index, label in enumerate(values)}
    # Answer code → label position; answers that only earlier, replaced annotations gave have none (-1).
    label_of = np.array([position.get(value, -1) for value in answers.values], dtype=np.int64)
    annotator_ids, annotator_codes = np.unique(latest.annotator, return_inverse=True)
    ratings = CodedRatings(
        item_ids=item_ids,
        annotator_ids=annotator_ids.tolist(),
        label_values=values,
        items=items.astype(np.int64),
        annotators=annotator_codes.astype(np.int64),
        labels=label_of[latest.codes],
    )
    majority = majority_vote_table(ratings)
    overlapping = len(item_ids) < len(latest.task)
    if len(annotator_ids) >= 2 and overlapping:
        gold_codes = np.array([position[gold[task]] if task in gold else -1 for task in item_ids], dtype=np.int64)
        result = dawid_skene_table(ratings, gold_codes)
        return ControlAggregation(name, ItemConsensus.Method.DAWID_SKENE, majority, result, dict(result.confusions))
    winners, _ = majority.winners()
    truth = {task: values[code] for task, code in zip(item_ids, winners.tolist(), strict=True) if code >= 0}
    given = [None if code == NO_ANSWER else answers.values[code] for code in answers.codes.tolist()]
    every_rating = list(zip(labels.task.tolist(), labels.annotator.tolist(), given, strict=True))
    confusions = {
        annotator: _empirical_confusion(annotator, every_rating, truth) for annotator in annotator_ids.tolist()
    }
    return ControlAggregation(name, ItemConsensus.Method.MAJORITY, majority, None, confusions)


def _consensus_rows(
    name: str, aggregation: ControlAggregation, gold: dict[int, Hashable], adjudicated: dict[int, object]
) -> ConsensusRows:
    table = aggregation.consensus_table
    item_ids = np.asarray(table.item_ids, dtype=np.int64)
    tasks = np.union1d(item_ids, np.fromiter(adjudicated, dtype=np.int64, count=len(adjudicated)))
    by_id = np.argsort(item_ids)
    found = np.searchsorted(item_ids[by_id], tasks)
    found = np.where(found < len(item_ids), found, 0)
    in_table = (item_ids[by_id][found] == tasks) if len(item_ids) else np.zeros(len(tasks), dtype=bool)
    item = np.where(in_table, by_id[found] if len(item_ids) else 0, -1)
    codes, top = table.winners()
    codes, top = np.append(codes, -1)[item], np.append(top, 0.0)[item]  # -1: an item no one rated
    ratings = np.append(table.ratings, 0)[item].tolist()
    probabilities = _probabilities_json(table, item)
    label_json = [json.dumps(_json_label(label)) for label in table.labels]
    methods, labels, confidences, needs = [], [], [], []
    for task, code, confidence in zip(tasks.tolist(), codes.tolist(), top.tolist(), strict=True):
        if task in adjudicated:
            methods.append(ItemConsensus.Method.ADJUDICATION.value)
            labels.append(json.dumps(adjudicated[task]))
            confidences.append(1.0)
            needs.append(False)
        elif task in gold:
            methods.append(ItemConsensus.Method.GOLD.value)
            labels.append(json.dumps(_json_label(gold[task])))
            confidences.append(1.0)
            needs.append(False)
        else:
            methods.append(str(aggregation.method))
            labels.append("null" if code < 0 else label_json[code])
            confidences.append(min(1.0, max(0.0, confidence)))
            needs.append(code < 0 or confidence < ADJUDICATION_CONFIDENCE)
    return ConsensusRows(name, tasks.tolist(), methods, labels, confidences, probabilities, ratings, needs)


def _probabilities_json(table: ItemLabels, item: np.ndarray) -> list[str]:
    """Each row's label → probability as JSON text; `item` is the row's item in the table, -1 for none."""
    keys = [json.dumps(_label_key(label)) for label in table.labels]
    rows = table.probabilities.tolist()
    if table.voted_only:
        return [
            "{}"
            if position < 0
            else "{" + ", ".join(f"{key}: {p!r}" for key, p in zip(keys, rows[position], strict=True) if p > 0) + "}"
            for position in item.tolist()
        ]
    # Every label on every item: the texts put together column by column, by joins rather than a format per item.
    pieces: list[Iterable[str]] = []
    for index, key in enumerate(keys):
        values = map(repr, table.probabilities[:, index].tolist())
        pieces += [repeat(("{" if index == 0 else ", ") + key + ": "), values]
    # strict=False: the repeated pieces are endless, the values as long as the table.
    texts = list(map("".join, zip(*pieces, repeat("}"), strict=False))) if keys else ["{}"] * len(rows)
    return ["{}" if position < 0 else texts[position] for position in item.tolist()]


def batch_consensus(batch: Batch, labels: BatchLabels | None = None) -> tuple[BatchAggregation, list[ConsensusRows]]:
    """The batch's consensus; `labels` are its live annotations when the caller has loaded them already."""
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in AGGREGATED_TYPES
    }
    if labels is None:
        labels = load_batch_labels(batch, controls)
    gold = gold_answers(Task.objects.filter(batch=batch), controls)
    adjudicated: dict[str, dict[int, object]] = defaultdict(dict)
    for task, control_name, label in (
        Adjudication.objects.filter(task__batch=batch)
        .order_by("created_at", "id")
        .values_list("task_id", "control_name", "label")
    ):
        adjudicated[control_name][task] = label
    results: dict[str, ControlAggregation] = {}
    consensus_rows: list[ConsensusRows] = []
    for name in controls:
        control_gold = {task: answers[name] for task, answers in gold.items() if name in answers}
        results[name] = _aggregate_control(labels, name, control_gold)
        consensus_rows.append(_consensus_rows(name, results[name], control_gold, adjudicated[name]))
    summary = BatchAggregation(
        batch=batch.pk,
        controls=results,
        needs_adjudication=sum(sum(rows.needs_adjudication) for rows in consensus_rows),
        consensus_rows=sum(len(rows) for rows in consensus_rows),
    )
    return summary, consensus_rows


def preview_aggregation(*, batch: Batch) -> BatchAggregation:
    """What `aggregate_batch` would compute for the batch, without storing it; reads only."""
    return batch_consensus(batch)[0]


def aggregate_batch(*, batch: Batch) -> BatchAggregation:
    """One consensus label per task and control of the batch, stored as ItemConsensus; idempotent and atomic.

    Gold tasks take their gold answer, adjudicated items their latest adjudication; the rest Dawid-Skene
    (gold held fixed) when annotators overlap, else majority vote. A tie, or a label less likely than not,
    marks the item for adjudication. Returns per control the majority vote, Dawid-Skene result and a
    confusion matrix per annotator.
    """
    summary, consensus_rows = batch_consensus(batch)
    store_consensus(batch, consensus_rows)
    return summary


def consensus_agreement(aggregation: BatchAggregation, labels: BatchLabels) -> dict[int, tuple[int, int]]:
    """Per annotator: (labels equal to the consensus label, labels on items with a consensus label)."""
    annotators, who = np.unique(labels.annotator, return_inverse=True)
    agreed = np.zeros(len(annotators), dtype=np.int64)
    total = np.zeros(len(annotators), dtype=np.int64)
    for name, control in aggregation.controls.items():
        table = control.consensus_table
        if not len(table.item_ids):
            continue
        answers = labels.answers[name]
        # Each answer as a position in the table's labels (-2: a label the consensus never weighed, never equal).
        position = {label: index for index, label in enumerate(table.labels)}
        answer_position = np.array([position.get(value, -2) for value in answers.values] + [-2], dtype=np.int64)
        item_ids = np.asarray(table.item_ids, dtype=np.int64)
        by_id = np.argsort(item_ids)
        found = np.minimum(np.searchsorted(item_ids[by_id], labels.task), len(item_ids) - 1)
        winners, _ = table.winners()
        consensus = np.where(item_ids[by_id][found] == labels.task, winners[by_id[found]], -1)
        counted = (answers.codes != NO_ANSWER) & (consensus >= 0)
        total += np.bincount(who[counted], minlength=len(annotators))
        same = counted & (answer_position[answers.codes] == consensus)
        agreed += np.bincount(who[same], minlength=len(annotators))
    return {int(annotators[index]): (int(agreed[index]), int(total[index])) for index in np.flatnonzero(total).tolist()}


def annotator_consensus_agreement(*, batch: Batch) -> dict[int, float]:
    """Per annotator of the batch: the share of their choice and rating labels equal to the consensus; reads only."""
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in AGGREGATED_TYPES
    }
    labels = load_batch_labels(batch, controls)
    tallies = consensus_agreement(batch_consensus(batch, labels)[0], labels)
    return {annotator: agreed / total for annotator, (agreed, total) in tallies.items() if total}


def truth_accuracy(items: Iterable[ItemLabel], truth: dict[int, Hashable]) -> tuple[int, int]:
    """(right, total) of aggregated labels against known true labels; a tie (no label) counts as wrong."""
    right = total = 0
    for item in items:
        if item.item in truth and not item.is_gold:
            total += 1
            right += item.label == truth[item.item]
    return right, total
