"""Each annotator's gold record in a project, as the gold gate reads it: their gold answers in the order they
labeled, each right or wrong, and how many tasks they have done."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from projects.models import Annotation, LabelingProject, Task
from projects.quality.controls import PASS_KINDS, project_controls
from projects.quality.loading import gold_answers, with_answers
from projects.quality.stats.comparison import compare
from projects.workforce.gates import GoldAnswer


@dataclass(frozen=True)
class GoldRecord:
    annotator: int
    tasks_done: int
    answers: list[GoldAnswer]
    answered_at: list[datetime]  # when each gold answer was made, in the answers' order


def gold_records(*, project: LabelingProject, since: dict[int, datetime] | None = None) -> dict[int, GoldRecord]:
    """Per annotator of the project: tasks done and gold answers (a gold task is right when every scored control
    matches its gold answer), counting only labels made after `since[annotator]` when given; reads only.

    Skipped and deleted labels do not count; an annotator's first label of a task is the one judged.
    """
    since = since or {}
    controls = {name: control for name, control in project_controls(project).items() if control.kind in PASS_KINDS}
    gold = gold_answers(Task.objects.filter(project=project), controls)
    annotations = Annotation.objects.filter(
        task__project=project, is_deleted=False, was_cancelled=False, annotator__isnull=False
    ).order_by("annotator_id", "created_at", "id")
    seen_tasks: dict[int, set[int]] = defaultdict(set)
    answers: dict[int, list[GoldAnswer]] = defaultdict(list)
    times: dict[int, list[datetime]] = defaultdict(list)
    rows = with_answers(annotations, ("annotator_id", "task_id", "created_at"), controls)
    for (annotator, task, created_at), given in rows:
        start = since.get(annotator)
        if (start is not None and created_at <= start) or task in seen_tasks[annotator]:
            continue
        seen_tasks[annotator].add(task)
        expected = gold.get(task)
        if not expected:
            continue
        verdicts = [
            compare(controls[name].kind, answer, given.get(name), max_rating=controls[name].max_rating)
            for name, answer in expected.items()
        ]
        judged = [verdict for verdict in verdicts if verdict is not None]
        if not judged:
            continue
        answers[annotator].append(
            GoldAnswer(position=len(seen_tasks[annotator]), correct=all(verdict.passed for verdict in judged))
        )
        times[annotator].append(created_at)
    return {
        annotator: GoldRecord(annotator, len(tasks), answers[annotator], times[annotator])
        for annotator, tasks in seen_tasks.items()
    }
