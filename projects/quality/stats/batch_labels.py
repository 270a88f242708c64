"""A batch's live annotations column-wise (pure): the form agreement, aggregation and sampling read them in.

A batch has a hundred thousand annotations; an object per annotation, and a dict of answers in each, cost
more than the statistics computed from them. Here each column is a NumPy array in annotation id order, and
each control's answers are integer codes into the distinct answers given (few: choices, ratings).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

NO_ANSWER = -1


@dataclass(frozen=True)
class ControlAnswers:
    codes: np.ndarray  # per annotation: its answer's position in `values`, NO_ANSWER when it has none
    values: tuple[Hashable, ...]  # the distinct answers, in first-seen order


@dataclass(frozen=True)
class LatestAnswers:
    """Each annotator's latest answer per task on one control, as `agreement.latest_ratings` keeps it.

    Ordered as that function's dicts: tasks in first-seen order, then annotators in insertion order.
    """

    task: np.ndarray
    annotator: np.ndarray
    codes: np.ndarray  # into the control's `values`
    task_order: np.ndarray  # the tasks that appear in the batch (with an answer or not), first-seen order

    def item_index(self) -> np.ndarray:
        """Per answer, its task's position among the tasks with an answer (in first-seen order)."""
        return np.cumsum(np.r_[False, self.task[1:] != self.task[:-1]]) if len(self.task) else self.task

    def rated_counts(self, minimum: int = 2) -> tuple[np.ndarray, int]:
        """Answer counts of the tasks with `minimum` answers or more, and how many tasks have fewer.

        Tasks × answers, tasks in first-seen order; the columns are the answers in the order they first appear
        on those tasks, as `agreement_bootstrap` numbers the labels of a list of items.
        """
        tasks, first_seen = np.unique(self.task_order, return_index=True)
        row = first_seen[np.searchsorted(tasks, self.task)]  # per answer, its task's position in task_order
        raters = np.bincount(row, minlength=len(self.task_order))
        kept_rows = np.flatnonzero(raters >= minimum)
        kept = raters[row] >= minimum
        codes = self.codes[kept]
        answers, first = np.unique(codes, return_index=True)
        columns = answers[np.argsort(first)]
        column_of = np.zeros(int(answers.max()) + 1 if len(answers) else 0, dtype=np.int64)
        column_of[columns] = np.arange(len(columns))
        cells = np.searchsorted(kept_rows, row[kept]) * len(columns) + column_of[codes]
        counts = np.bincount(cells, minlength=len(kept_rows) * len(columns)).reshape(len(kept_rows), len(columns))
        return counts, len(self.task_order) - len(kept_rows)

    def pairs(self, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every two annotators' answers on the tasks both answered, as `rank` (per answer) orders annotators.

        (first's rank, second's rank, first's code, second's code) per task and pair, the first ranked before
        the second; ordered by pair, then task (first-seen).
        """
        item = self.item_index()
        sizes = np.bincount(item) if len(item) else item
        order = np.lexsort((rank, item))
        ranks, codes = rank[order], self.codes[order]
        starts = np.r_[0, np.cumsum(sizes)[:-1]] if len(sizes) else sizes
        parts: list[tuple[np.ndarray, ...]] = []
        for size in np.unique(sizes[sizes >= 2]).tolist():
            items = np.flatnonzero(sizes == size)
            cells = starts[items][:, None] + np.arange(size)
            for first, second in combinations(range(size), 2):
                parts.append(
                    (
                        ranks[cells[:, first]],
                        ranks[cells[:, second]],
                        codes[cells[:, first]],
                        codes[cells[:, second]],
                        items,
                    )
                )
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        first_rank, second_rank, first_code, second_code, items = (
            np.concatenate(column) for column in zip(*parts, strict=True)
        )
        ordered = np.lexsort((items, second_rank, first_rank))
        return first_rank[ordered], second_rank[ordered], first_code[ordered], second_code[ordered]

    def by_item(self, values: Sequence[Hashable] | None = None) -> dict[int, dict[int, Hashable]]:
        """The `latest_ratings` dict: task → annotator → answer (its code when `values` is None)."""
        labels = self.codes.tolist() if values is None else [values[code] for code in self.codes.tolist()]
        by_item: dict[int, dict[int, Hashable]] = {task: {} for task in self.task_order.tolist()}
        for task, annotator, label in zip(self.task.tolist(), self.annotator.tolist(), labels, strict=True):
            by_item[task][annotator] = label
        return by_item


@dataclass(frozen=True)
class BatchLabels:
    annotation: np.ndarray  # int64, ascending
    task: np.ndarray
    annotator: np.ndarray
    lead_time: np.ndarray  # float, NaN where unknown
    answers: dict[str, ControlAnswers]  # control name → its answers

    def __len__(self) -> int:
        return len(self.annotation)

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[int, int, int, float | None, dict[str, Hashable]]], controls: Iterable[str]
    ) -> BatchLabels:
        """From (annotation, task, annotator, lead time, control name → answer) rows in annotation id order."""
        rows = list(rows)
        columns = list(zip(*(row[:4] for row in rows), strict=True)) if rows else [(), (), (), ()]
        answers = {}
        for name in controls:
            index: dict[Hashable, int] = {}
            codes = [
                NO_ANSWER if (answer := row[4].get(name)) is None else index.setdefault(answer, len(index))
                for row in rows
            ]
            answers[name] = ControlAnswers(np.array(codes, dtype=np.int64), tuple(index))
        return cls(
            annotation=np.array(columns[0], dtype=np.int64),
            task=np.array(columns[1], dtype=np.int64),
            annotator=np.array(columns[2], dtype=np.int64),
            lead_time=np.array([np.nan if value is None else value for value in columns[3]], dtype=float),
            answers=answers,
        )

    def latest(self, control: str) -> LatestAnswers:
        """Each annotator's latest answer per task on the control; a later annotation without one withdraws it."""
        codes = self.answers[control].codes
        size = len(codes)
        tasks, first_seen = np.unique(self.task, return_index=True)
        task_order = self.task[np.sort(first_seen)]
        if not size:
            empty = np.zeros(0, dtype=np.int64)
            return LatestAnswers(empty, empty, empty, task_order)
        # Annotations grouped by (task, annotator), id order kept inside each group.
        order = np.lexsort((self.annotator, self.task))
        task, annotator = self.task[order], self.annotator[order]
        starts = np.flatnonzero(np.r_[True, (task[1:] != task[:-1]) | (annotator[1:] != annotator[:-1])])
        ends = np.r_[starts[1:], size] - 1
        # The group's answer is its last annotation's; the annotator takes the place in the task's dict of the
        # first annotation after their last withdrawal (an update keeps the place, a withdrawal gives it up).
        withdrawn = np.where(codes[order] == NO_ANSWER, np.arange(size), -1)
        last_withdrawal = np.maximum.accumulate(withdrawn)[ends]
        answered = codes[order[ends]] != NO_ANSWER
        place = order[np.maximum(last_withdrawal + 1, starts)[answered]]
        last = order[ends[answered]]
        ordered = np.lexsort((place, first_seen[np.searchsorted(tasks, self.task[last])]))
        last = last[ordered]
        return LatestAnswers(self.task[last], self.annotator[last], codes[last], task_order)
