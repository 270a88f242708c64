"""Pulling annotations back from Label Studio: full, incremental, and by webhook.

Every path ends in `apply_label_studio_tasks`, an idempotent upsert keyed on
(connection, Label Studio annotation id): running it twice, on two workers at once,
or with webhooks delivered twice or out of order changes nothing. Edits keep the
earlier state as an AnnotationVersion; deletions are mirrored as a flag. An annotation
of a rework project belongs to the task it reworks and replaces the rejected annotation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import Case, Exists, JSONField, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.audit import Actor, records_actor
from projects.errors import OutsideFailure
from projects.labeling.batch_status import advance_batch_status, batches_of_tasks
from projects.labeling.staleness import mark_tasks_stale
from projects.labelstudio.client import LabelStudioClient, LabelStudioError
from projects.models import (
    Annotation,
    AnnotationVersion,
    AnnotatorAccount,
    LabelStudioProject,
    PushedTask,
    Rework,
    SyncRun,
    Task,
)

logger = logging.getLogger(__name__)
# What a pull reads of a task and its annotations. Label Studio applies the one field
# list to the task and to the annotations it embeds, and skips computing the rest:
# listing changed tasks this way costs a quarter of listing them with every field.
PULLED_FIELDS = "id,updated_at,annotations,task,result,was_cancelled,lead_time,completed_by,created_at"
ProgressCallback = Callable[[int, int | None], None]


class PullFailed(OutsideFailure):
    """The pull stopped; what was applied before the failure is kept and the cursor did not move past it."""


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


@records_actor
def pull_annotations(
    *,
    label_studio_project: LabelStudioProject,
    actor: Actor,
    full: bool = False,
    progress: ProgressCallback | None = None,
) -> SyncRun:
    """Bring the project's annotations in line with Label Studio and record the run.

    Incremental by default: only tasks whose updated_at (bumped by any annotation
    change) is past the stored cursor, so the cost follows the change, not the
    project. Full (or the first pull) reads Label Studio's own JSON export.
    Raises PullFailed after recording the error on the run.
    """
    started = timezone.now()
    cursor_before = label_studio_project.pulled_through
    kind = SyncRun.Kind.FULL if full or cursor_before is None else SyncRun.Kind.INCREMENTAL
    run = SyncRun.objects.create(label_studio_project=label_studio_project, kind=kind, cursor_before=cursor_before)
    counts = PullCounts()
    newest_seen: dt.datetime | None = None
    page_size = settings.LABEL_STUDIO_PULL_PAGE_SIZE
    try:
        client = LabelStudioClient.for_connection(label_studio_project.connection)
        project_id = label_studio_project.label_studio_id
        if kind == SyncRun.Kind.FULL:
            tasks: Iterable[dict] = client.export_tasks(project_id)
            total = len(tasks)
        else:
            since = cursor_before - dt.timedelta(seconds=settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS)
            tasks = client.iter_tasks(
                project_id,
                filters=[
                    {
                        "filter": "filter:tasks:updated_at",
                        "operator": "greater",
                        "type": "Datetime",
                        "value": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    }
                ],
                include=PULLED_FIELDS,
                page_size=page_size,
            )
            total = None
        page: list[dict] = []
        for task in tasks:
            page.append(task)
            if len(page) >= page_size:
                newest_seen = _latest(newest_seen, page)
                counts.add(apply_label_studio_tasks(label_studio_project, page, authoritative=True))
                page = []
                if progress:
                    progress(counts.tasks_seen, total)
        if page:
            newest_seen = _latest(newest_seen, page)
            counts.add(apply_label_studio_tasks(label_studio_project, page, authoritative=True))
            if progress:
                progress(counts.tasks_seen, total)
    except LabelStudioError as error:
        _finish(run, counts, cursor_after=None, error=str(error))
        raise PullFailed(str(error)) from None

    # The cursor never passes the run's start: a change made while this run read
    # other tasks is picked up by the next one.
    cursor_after = cursor_before
    if newest_seen is not None:
        cursor_after = min(newest_seen, started)
    elif kind == SyncRun.Kind.FULL:
        cursor_after = started
    if cursor_after != cursor_before:
        LabelStudioProject.objects.filter(pk=label_studio_project.pk).update(pulled_through=cursor_after)
        label_studio_project.pulled_through = cursor_after
    _finish(run, counts, cursor_after=cursor_after, error="")
    return run


def _finish(run: SyncRun, counts: PullCounts, *, cursor_after, error: str) -> None:
    run.finished_at = timezone.now()
    run.cursor_after = cursor_after
    run.error = error
    for name in ("tasks_seen", "created", "updated", "deleted", "unchanged"):
        setattr(run, name, getattr(counts, name))
    run.save()


def _latest(current: dt.datetime | None, tasks: list[dict]) -> dt.datetime | None:
    for task in tasks:
        moment = _parse_time(task.get("updated_at"))
        if moment and (current is None or moment > current):
            current = moment
    return current


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _user_id(completed_by) -> int | None:
    if isinstance(completed_by, dict):
        return completed_by.get("id")
    return completed_by


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
    connection = label_studio_project.connection
    counts = PullCounts(tasks_seen=len(tasks))
    is_rework = label_studio_project.kind == LabelStudioProject.Kind.REWORK
    # A rework task stands for the task of the annotation it sends back.
    linked = Rework.objects if is_rework else PushedTask.objects
    task_field = "annotation__task_id" if is_rework else "task_id"
    links = dict(
        linked.filter(
            label_studio_project=label_studio_project, label_studio_task_id__in=[task["id"] for task in tasks]
        ).values_list("label_studio_task_id", task_field)
    )
    incoming: dict[int, tuple[int, dict]] = {}
    task_ids: set[int] = set()
    for task in tasks:
        task_id = links.get(task["id"])
        if task_id is None:
            counts.unknown_tasks += 1  # made in Label Studio by hand, not pushed by annotate
            continue
        task_ids.add(task_id)
        for annotation in task.get("annotations") or []:
            incoming[annotation["id"]] = (task_id, annotation)

    stored = Annotation.objects.select_for_update().filter(connection=connection)
    if authoritative:
        # Only the annotations of these Label Studio tasks: an annotate task may also be a task of the
        # batch's rework project, whose annotations this page says nothing about.
        stored = stored.filter(task_id__in=task_ids).filter(
            Q(label_studio_task_id__in=list(links)) | Q(label_studio_task_id__isnull=True)
        )
    else:
        stored = stored.filter(label_studio_id__in=list(incoming))
    existing = {annotation.label_studio_id: annotation for annotation in stored}

    annotators = dict(
        AnnotatorAccount.objects.filter(connection=connection).values_list("label_studio_user_id", "annotator_id")
    )
    now = timezone.now()
    to_create: list[Annotation] = []
    to_update: list[Annotation] = []
    versions: list[AnnotationVersion] = []
    for label_studio_id, (task_id, data) in incoming.items():
        fields = {
            "result": data.get("result") or [],
            "was_cancelled": bool(data.get("was_cancelled")),
            "lead_time": data.get("lead_time"),
            "label_studio_user_id": _user_id(data.get("completed_by")),
            "updated_at": _parse_time(data.get("updated_at")) or now,
        }
        current = existing.get(label_studio_id)
        if current is None:
            to_create.append(
                Annotation(
                    task_id=task_id,
                    connection=connection,
                    label_studio_id=label_studio_id,
                    label_studio_task_id=data.get("task"),
                    annotator_id=annotators.get(fields["label_studio_user_id"]),
                    config_version_id=label_studio_project.config_version_id,
                    created_at=_parse_time(data.get("created_at")) or now,
                    **fields,
                )
            )
            continue
        if current.is_deleted and not authoritative:
            counts.unchanged += 1  # a late webhook never brings back what a pull saw deleted
            continue
        if not authoritative and fields["updated_at"] < current.updated_at:
            counts.unchanged += 1  # an older delivery arriving after a newer one
            continue
        if not current.is_deleted and all(getattr(current, name) == value for name, value in fields.items()):
            counts.unchanged += 1
            continue
        versions.append(_snapshot(current))
        for name, value in fields.items():
            setattr(current, name, value)
        current.annotator_id = annotators.get(current.label_studio_user_id, current.annotator_id)
        current.is_deleted = False
        current.version += 1
        to_update.append(current)

    if authoritative:
        for label_studio_id, current in existing.items():
            if label_studio_id not in incoming and not current.is_deleted:
                to_update.append(_mark_deleted(current, versions))
                counts.deleted += 1

    _insert_annotations(to_create)
    AnnotationVersion.objects.bulk_create(versions)
    Annotation.objects.bulk_update(
        to_update,
        ["result", "was_cancelled", "lead_time", "label_studio_user_id", "updated_at", "annotator", "is_deleted",
         "version"],
    )  # fmt: skip
    counts.created = len(to_create)
    counts.updated = len(to_update) - counts.deleted
    if is_rework:
        _link_replacements(label_studio_project, [task["id"] for task in tasks if task["id"] in links])
    refresh_task_status(task_ids | {annotation.task_id for annotation in to_update})
    return counts


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
