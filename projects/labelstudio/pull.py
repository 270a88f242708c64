"""Pulling annotations back from Label Studio: full or incremental, page by page, behind a cursor.

`pull_annotations` reads as its steps: open a sync run, list the tasks to read (Label Studio's export for a full
pull, the tasks changed since the cursor for an incremental one), apply them page by page with the idempotent
upsert of upsert.py (which webhooks use too), move the cursor, record the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.errors import OutsideFailure
from projects.labelstudio.client import LabelStudioClient, LabelStudioError
from projects.labelstudio.upsert import PullCounts, apply_label_studio_tasks, parse_time
from projects.models import LabelStudioProject, SyncRun

# What a pull reads of a task and its annotations. Label Studio applies the one field
# list to the task and to the annotations it embeds, and skips computing the rest:
# listing changed tasks this way costs a quarter of listing them with every field.
PULLED_FIELDS = "id,updated_at,annotations,task,result,was_cancelled,lead_time,completed_by,created_at"
ProgressCallback = Callable[[int, int | None], None]


class PullFailed(OutsideFailure):
    """The pull stopped; what was applied before the failure is kept and the cursor did not move past it."""


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
    try:
        tasks, total = _tasks_to_read(label_studio_project, kind)
        newest_seen = _apply_in_pages(label_studio_project, tasks, total, counts, progress)
    except LabelStudioError as error:
        _finish(run, counts, cursor_after=None, error=str(error))
        raise PullFailed(str(error)) from None
    cursor_after = _move_cursor(label_studio_project, kind, newest_seen, started)
    _finish(run, counts, cursor_after=cursor_after, error="")
    return run


def _tasks_to_read(label_studio_project: LabelStudioProject, kind: str) -> tuple[Iterable[dict], int | None]:
    """The tasks the pull reads, and how many when that is known: all of them, or those changed since the cursor."""
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    project_id = label_studio_project.label_studio_id
    if kind == SyncRun.Kind.FULL:
        tasks = client.export_tasks(project_id)
        return tasks, len(tasks)
    since = label_studio_project.pulled_through - dt.timedelta(seconds=settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS)
    changed = client.iter_tasks(
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
        page_size=settings.LABEL_STUDIO_PULL_PAGE_SIZE,
    )
    return changed, None


def _apply_in_pages(
    label_studio_project: LabelStudioProject,
    tasks: Iterable[dict],
    total: int | None,
    counts: PullCounts,
    progress: ProgressCallback | None,
) -> dt.datetime | None:
    """Apply the tasks a page at a time, adding to `counts`; the newest updated_at seen."""
    page_size = settings.LABEL_STUDIO_PULL_PAGE_SIZE
    newest_seen: dt.datetime | None = None
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
    return newest_seen


def _move_cursor(
    label_studio_project: LabelStudioProject, kind: str, newest_seen: dt.datetime | None, started: dt.datetime
) -> dt.datetime | None:
    """Store the project's new cursor and return it."""
    # The cursor never passes the run's start: a change made while this run read
    # other tasks is picked up by the next one.
    cursor_before = label_studio_project.pulled_through
    cursor_after = cursor_before
    if newest_seen is not None:
        cursor_after = min(newest_seen, started)
    elif kind == SyncRun.Kind.FULL:
        cursor_after = started
    if cursor_after != cursor_before:
        LabelStudioProject.objects.filter(pk=label_studio_project.pk).update(pulled_through=cursor_after)
        label_studio_project.pulled_through = cursor_after
    return cursor_after


def _finish(run: SyncRun, counts: PullCounts, *, cursor_after, error: str) -> None:
    run.finished_at = timezone.now()
    run.cursor_after = cursor_after
    run.error = error
    for name in ("tasks_seen", "created", "updated", "deleted", "unchanged"):
        setattr(run, name, getattr(counts, name))
    run.save()


def _latest(current: dt.datetime | None, tasks: list[dict]) -> dt.datetime | None:
    for task in tasks:
        moment = parse_time(task.get("updated_at"))
        if moment and (current is None or moment > current):
            current = moment
    return current
