"""Applying Label Studio's annotations to annotate's: the idempotent upsert every pull and webhook ends in.

`apply_label_studio_tasks` upserts the annotations of a page of Label Studio tasks keyed on (connection, Label
Studio annotation id): running it twice, on two workers at once, or with webhooks delivered twice or out of order
changes nothing. Edits keep the earlier state as an AnnotationVersion; deletions are mirrored as a flag
(`apply_deleted_annotations` for a deletion webhook). An annotation of a rework project belongs to the task it
reworks and replaces the rejected annotation. `refresh_task_status` moves the touched tasks and batches on.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import Case, Exists, JSONField, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.labeling.batch_status import advance_batch_status, batches_of_tasks
from projects.labeling.staleness import mark_tasks_stale
from projects.models import (
    Annotation,
    AnnotationVersion,
    AnnotatorAccount,
    LabelStudioConnection,
    LabelStudioProject,
    PushedTask,
    Rework,
    Task,
)

# The fields of an annotation a pull writes, as Label Studio gives them (plus annotate's own that follow them).
UPDATED_FIELDS = [
    "result", "was_cancelled", "lead_time", "label_studio_user_id", "updated_at", "annotator", "is_deleted", "version",
]  # fmt: skip
# Label Studio annotation id → (annotate task id, the annotation as Label Studio sent it).
Incoming = dict[int, tuple[int, dict]]


@dataclass
class PullCounts:
    tasks_seen: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    unknown_tasks: int = 0

    def add(self, other: PullCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Changes:
    """What one page changes: annotations to create and to update, and the earlier states the updates keep."""

    to_create: list[Annotation] = field(default_factory=list)
    to_update: list[Annotation] = field(default_factory=list)
    versions: list[AnnotationVersion] = field(default_factory=list)


def parse_time(value: str | None) -> dt.datetime | None:
    """A Label Studio timestamp as an aware datetime (UTC when it names no zone); None for none."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def apply_label_studio_tasks(
    label_studio_project: LabelStudioProject, tasks: list[dict], *, authoritative: bool
) -> PullCounts:
    """Upsert the annotations of these Label Studio tasks; idempotent.

    authoritative: the tasks carry all their annotations as they are now (a pull),
    so missing ones are deleted and deleted ones may come back. A webhook is not
    authoritative: it carries one annotation and is applied only if newer.
    """
    for attempt in (1, 2):
        try:
            return _apply(label_studio_project, tasks, authoritative=authoritative)
        except IntegrityError:
            # Two writers raced on a database without row locks; the second pass sees the first's rows.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@transaction.atomic
def _apply(label_studio_project: LabelStudioProject, tasks: list[dict], *, authoritative: bool) -> PullCounts:
    # Pulls of one project take turns page by page (a row lock on PostgreSQL).
    LabelStudioProject.objects.select_for_update().filter(pk=label_studio_project.pk).first()
    counts = PullCounts(tasks_seen=len(tasks))
    links = _linked_tasks(label_studio_project, tasks)
    incoming, task_ids = _incoming_annotations(tasks, links, counts)
    existing = _stored_annotations(label_studio_project.connection, incoming, links, task_ids, authoritative)
    changes = _changes(label_studio_project, incoming, existing, counts, authoritative=authoritative)
    _write(changes, counts)
    if label_studio_project.kind == LabelStudioProject.Kind.REWORK:
        _link_replacements(label_studio_project, [task["id"] for task in tasks if task["id"] in links])
    refresh_task_status(task_ids | {annotation.task_id for annotation in changes.to_update})
    return counts


def _linked_tasks(label_studio_project: LabelStudioProject, tasks: list[dict]) -> dict[int, int]:
    """Label Studio task id → annotate task id, for the page's tasks annotate pushed."""
    # A rework task stands for the task of the annotation it sends back.
    is_rework = label_studio_project.kind == LabelStudioProject.Kind.REWORK
    linked = Rework.objects if is_rework else PushedTask.objects
    task_field = "annotation__task_id" if is_rework else "task_id"
    return dict(
        linked.filter(
            label_studio_project=label_studio_project, label_studio_task_id__in=[task["id"] for task in tasks]
        ).values_list("label_studio_task_id", task_field)
    )


def _incoming_annotations(tasks: list[dict], links: dict[int, int], counts: PullCounts) -> tuple[Incoming, set[int]]:
    """The page's annotations on tasks annotate knows, and those tasks; tasks it does not know are counted."""
    incoming: Incoming = {}
    task_ids: set[int] = set()
    for task in tasks:
        task_id = links.get(task["id"])
        if task_id is None:
            counts.unknown_tasks += 1  # made in Label Studio by hand, not pushed by annotate
            continue
        task_ids.add(task_id)
        for annotation in task.get("annotations") or []:
            incoming[annotation["id"]] = (task_id, annotation)
    return incoming, task_ids


def _stored_annotations(
    connection: LabelStudioConnection,
    incoming: Incoming,
    links: dict[int, int],
    task_ids: set[int],
    authoritative: bool,
) -> dict[int, Annotation]:
    """The stored annotations the page speaks for, locked, by Label Studio annotation id."""
    stored = Annotation.objects.select_for_update().filter(connection=connection)
    if authoritative:
        # Only the annotations of these Label Studio tasks: an annotate task may also be a task of the
        # batch's rework project, whose annotations this page says nothing about.
        stored = stored.filter(task_id__in=task_ids).filter(
            Q(label_studio_task_id__in=list(links)) | Q(label_studio_task_id__isnull=True)
        )
    else:
        stored = stored.filter(label_studio_id__in=list(incoming))
    return {annotation.label_studio_id: annotation for annotation in stored}


def _changes(
    label_studio_project: LabelStudioProject,
    incoming: Incoming,
    existing: dict[int, Annotation],
    counts: PullCounts,
    *,
    authoritative: bool,
) -> _Changes:
    """New annotations, edited ones (their earlier state kept) and, on a pull, those gone from Label Studio."""
    connection = label_studio_project.connection
    annotators = dict(
        AnnotatorAccount.objects.filter(connection=connection).values_list("label_studio_user_id", "annotator_id")
    )
    now = timezone.now()
    changes = _Changes()
    for label_studio_id, (task_id, data) in incoming.items():
        fields = _pulled_fields(data, now)
        current = existing.get(label_studio_id)
        if current is None:
            changes.to_create.append(
                Annotation(
                    task_id=task_id,
                    connection=connection,
                    label_studio_id=label_studio_id,
                    label_studio_task_id=data.get("task"),
                    annotator_id=annotators.get(fields["label_studio_user_id"]),
                    config_version_id=label_studio_project.config_version_id,
                    created_at=parse_time(data.get("created_at")) or now,
                    **fields,
                )
            )
        elif _unchanged(current, fields, authoritative=authoritative):
            counts.unchanged += 1
        else:
            changes.versions.append(_snapshot(current))
            for name, value in fields.items():
                setattr(current, name, value)
            current.annotator_id = annotators.get(current.label_studio_user_id, current.annotator_id)
            current.is_deleted = False
            current.version += 1
            changes.to_update.append(current)
    if authoritative:
        for label_studio_id, current in existing.items():
            if label_studio_id not in incoming and not current.is_deleted:
                changes.to_update.append(_mark_deleted(current, changes.versions))
                counts.deleted += 1
    return changes


def _pulled_fields(data: dict, now: dt.datetime) -> dict[str, Any]:
    """The fields of a stored annotation that follow Label Studio's."""
    return {
        "result": data.get("result") or [],
        "was_cancelled": bool(data.get("was_cancelled")),
        "lead_time": data.get("lead_time"),
        "label_studio_user_id": _user_id(data.get("completed_by")),
        "updated_at": parse_time(data.get("updated_at")) or now,
    }


def _unchanged(current: Annotation, fields: dict[str, Any], *, authoritative: bool) -> bool:
    """Whether the stored annotation stays as it is."""
    if current.is_deleted and not authoritative:
        return True  # a late webhook never brings back what a pull saw deleted
    if not authoritative and fields["updated_at"] < current.updated_at:
        return True  # an older delivery arriving after a newer one
    return not current.is_deleted and all(getattr(current, name) == value for name, value in fields.items())


def _user_id(completed_by) -> int | None:
    if isinstance(completed_by, dict):
        return completed_by.get("id")
    return completed_by


def _write(changes: _Changes, counts: PullCounts) -> None:
    _insert_annotations(changes.to_create)
    AnnotationVersion.objects.bulk_create(changes.versions)
    Annotation.objects.bulk_update(changes.to_update, UPDATED_FIELDS)
    counts.created = len(changes.to_create)
    counts.updated = len(changes.to_update) - counts.deleted


def _link_replacements(rework_project: LabelStudioProject, label_studio_task_ids: list[int]) -> None:
    """Each rework's replacement is the newest live, not skipped annotation of its rework task, if any."""
    newest: dict[int, int] = {}
    for label_studio_task_id, annotation_id in (
        Annotation.objects.filter(
            connection=rework_project.connection,
            label_studio_task_id__in=label_studio_task_ids,
            is_deleted=False,
            was_cancelled=False,
        )
        .order_by("created_at", "label_studio_id")
        .values_list("label_studio_task_id", "pk")
    ):
        newest[label_studio_task_id] = annotation_id
    changed = []
    for rework in Rework.objects.filter(
        label_studio_project=rework_project, label_studio_task_id__in=label_studio_task_ids
    ):
        replacement_id = newest.get(rework.label_studio_task_id)
        if rework.replacement_id != replacement_id:
            rework.replacement_id = replacement_id
            changed.append(rework)
    Rework.objects.bulk_update(changed, ["replacement"])


def _insert_annotations(annotations: list[Annotation]) -> None:
    """bulk_create, by COPY on PostgreSQL.

    A full pull inserts every annotation of a project, and Django's bulk insert spends
    more time quoting the JSON results in Python than the database spends storing them.
    """
    if not annotations:
        return
    if database.vendor != "postgresql":
        Annotation.objects.bulk_create(annotations)
        return
    fields = [field for field in Annotation._meta.concrete_fields if not field.primary_key]
    as_json = [isinstance(field, JSONField) for field in fields]
    columns = ", ".join(database.ops.quote_name(field.column) for field in fields)
    table = database.ops.quote_name(Annotation._meta.db_table)
    with (
        database.wrap_database_errors,
        database.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for annotation in annotations:
            values = [field.pre_save(annotation, True) for field in fields]  # True: fills auto_now fields
            copy.write_row(
                [json.dumps(value, ensure_ascii=False) if is_json else value
                 for value, is_json in zip(values, as_json, strict=True)]
            )  # fmt: skip


def _snapshot(annotation: Annotation) -> AnnotationVersion:
    return AnnotationVersion(
        annotation=annotation,
        version=annotation.version,
        result=annotation.result,
        was_cancelled=annotation.was_cancelled,
        lead_time=annotation.lead_time,
        updated_at=annotation.updated_at,
    )


def _mark_deleted(annotation: Annotation, versions: list[AnnotationVersion]) -> Annotation:
    versions.append(_snapshot(annotation))
    annotation.is_deleted = True
    annotation.version += 1
    return annotation


@transaction.atomic
def apply_deleted_annotations(label_studio_project: LabelStudioProject, label_studio_ids: list[int]) -> int:
    """Mirror a deletion reported by webhook; idempotent."""
    LabelStudioProject.objects.select_for_update().filter(pk=label_studio_project.pk).first()
    doomed = list(
        Annotation.objects.select_for_update().filter(
            connection=label_studio_project.connection, label_studio_id__in=label_studio_ids, is_deleted=False
        )
    )
    versions: list[AnnotationVersion] = []
    for annotation in doomed:
        _mark_deleted(annotation, versions)
    AnnotationVersion.objects.bulk_create(versions)
    Annotation.objects.bulk_update(doomed, ["is_deleted", "version"])
    if label_studio_project.kind == LabelStudioProject.Kind.REWORK:
        _link_replacements(label_studio_project, [annotation.label_studio_task_id for annotation in doomed])
    refresh_task_status({annotation.task_id for annotation in doomed})
    return len(doomed)


def refresh_task_status(task_ids: set[int]) -> None:
    """Annotated when a live label exists, skipped when only skips do, else back to pushed."""
    if not task_ids:
        return
    mark_tasks_stale(task_ids)
    advance_batch_status(batches_of_tasks(task_ids))
    live = Annotation.objects.filter(task=OuterRef("pk"), is_deleted=False)
    Task.objects.filter(
        pk__in=task_ids, status__in=[Task.Status.PUSHED, Task.Status.ANNOTATED, Task.Status.SKIPPED]
    ).update(
        status=Case(
            When(Exists(live.filter(was_cancelled=False)), then=Value(Task.Status.ANNOTATED)),
            When(Exists(live.filter(was_cancelled=True)), then=Value(Task.Status.SKIPPED)),
            default=Value(Task.Status.PUSHED),
        )
    )
