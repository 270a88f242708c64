"""Pulling annotations back from Label Studio: full or incremental, page by page, behind a cursor.

`pull_annotations` reads as its steps: open a sync run, read the tasks (a full pull streams Label Studio's export
snapshot from a file, an incremental one lists the tasks changed since the cursor), apply them page by page with the
idempotent upsert of upsert.py (which webhooks use too), move the cursor, record the run.

Each page is applied in one transaction with the run's progress, so what a run says it applied is what it applied,
even for a worker killed midway. A full pull that stopped resumes in the same export snapshot after the last page
it applied; memory stays that of a page whatever the project's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.errors import OutsideFailure
from projects.labelstudio import exports
from projects.labelstudio.client import LabelStudioClient, LabelStudioError
from projects.labelstudio.upsert import apply_label_studio_tasks, parse_time
from projects.models import LabelStudioProject, SyncRun

# What a pull reads of a task and its annotations. Label Studio applies the one field
# list to the task and to the annotations it embeds, and skips computing the rest:
# listing changed tasks this way costs a quarter of listing them with every field.
PULLED_FIELDS = "id,updated_at,annotations,task,result,was_cancelled,lead_time,completed_by,created_at"
COUNTED = ("tasks_seen", "created", "updated", "deleted", "unchanged")
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
    project. Full (or the first pull) streams Label Studio's own JSON export, and
    resumes the snapshot of a full pull that stopped. Raises PullFailed after
    recording the error on the run.
    """
    started = timezone.now()
    cursor_before = label_studio_project.pulled_through
    kind = SyncRun.Kind.FULL if full or cursor_before is None else SyncRun.Kind.INCREMENTAL
    run = SyncRun.objects.create(label_studio_project=label_studio_project, kind=kind, cursor_before=cursor_before)
    try:
        client = LabelStudioClient.for_connection(label_studio_project.connection)
        if kind == SyncRun.Kind.FULL:
            newest_seen, started = _pull_export(client, label_studio_project, run, started, progress)
        else:
            newest_seen = _pull_changes(client, label_studio_project, run, progress)
    except LabelStudioError as error:
        _finish(run, cursor_after=None, error=str(error))
        raise PullFailed(str(error)) from None
    cursor_after = _move_cursor(label_studio_project, kind, newest_seen, started)
    _finish(run, cursor_after=cursor_after, error="")
    return run


def _pull_export(
    client: LabelStudioClient,
    label_studio_project: LabelStudioProject,
    run: SyncRun,
    started: dt.datetime,
    progress: ProgressCallback | None,
) -> tuple[dt.datetime | None, dt.datetime]:
    """Apply an export snapshot, resuming the one a stopped full pull left; the newest updated_at seen, and the
    moment the cursor may not pass (the start of the pull that asked for the snapshot: every change before it is in it).
    """
    project_id = label_studio_project.label_studio_id
    earlier = _resumable(label_studio_project, run)
    if earlier is not None and earlier.export_id is not None and earlier.export_requested_at is not None:
        snapshot = exports.completed_snapshot(client, project_id, earlier.export_id)
        if snapshot is not None:
            requested_at = earlier.export_requested_at
            try:
                return _apply_snapshot(client, label_studio_project, run, snapshot, earlier.export_applied,
                                       requested_at, progress), requested_at  # fmt: skip
            except exports.SnapshotGone:
                pass  # deleted between the check and the download: another pull finished it
    for attempt in (1, 2):
        snapshot = exports.create_snapshot(client, project_id)
        try:
            return _apply_snapshot(client, label_studio_project, run, snapshot, 0, started, progress), started
        except exports.SnapshotGone:
            if attempt == 2:  # a pull that finished meanwhile deletes the snapshots older than its own
                raise
    raise AssertionError("unreachable")


def _apply_snapshot(
    client: LabelStudioClient,
    label_studio_project: LabelStudioProject,
    run: SyncRun,
    snapshot: dict,
    applied: int,
    requested_at: dt.datetime,
    progress: ProgressCallback | None,
) -> dt.datetime | None:
    """Download the snapshot to a file and apply its tasks after the first `applied`; deleted from the server after."""
    project_id = label_studio_project.label_studio_id
    run.export_id, run.export_applied, run.export_requested_at = snapshot["id"], applied, requested_at
    run.save(update_fields=["export_id", "export_applied", "export_requested_at"])
    with exports.downloaded(client, project_id, snapshot) as export:
        newest_seen = _apply_in_pages(
            label_studio_project, run, export.tasks(skip=applied), export.task_count, progress, position=applied
        )
    exports.delete_snapshot(client, project_id, snapshot["id"])
    exports.delete_left_behind(client, project_id, keep=snapshot["id"], made_before=run.started_at)
    return newest_seen


def _resumable(label_studio_project: LabelStudioProject, run: SyncRun) -> SyncRun | None:
    """The latest full pull of the project, if it stopped (failed, or its worker died) in a snapshot still young."""
    # Runs killed before their snapshot was made have none to resume (what Label Studio made for them is
    # deleted as left behind once a later snapshot is applied).
    earlier = (
        SyncRun.objects.filter(
            label_studio_project=label_studio_project, kind=SyncRun.Kind.FULL, export_id__isnull=False
        )
        .exclude(pk=run.pk)
        .order_by("-started_at", "-pk")
        .first()
    )
    if earlier is None or earlier.export_requested_at is None:
        return None
    if earlier.finished_at is not None and not earlier.error:
        return None  # it finished: nothing to resume
    age = timezone.now() - earlier.export_requested_at
    return earlier if age.total_seconds() <= settings.LABEL_STUDIO_PULL_RESUME_SECONDS else None


def _pull_changes(
    client: LabelStudioClient,
    label_studio_project: LabelStudioProject,
    run: SyncRun,
    progress: ProgressCallback | None,
) -> dt.datetime | None:
    """List the tasks changed since the cursor, page by page, and apply them; the newest updated_at seen."""
    since = label_studio_project.pulled_through - dt.timedelta(seconds=settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS)
    changed = client.iter_tasks(
        label_studio_project.label_studio_id,
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
    return _apply_in_pages(label_studio_project, run, changed, None, progress, position=None)


def _apply_in_pages(
    label_studio_project: LabelStudioProject,
    run: SyncRun,
    tasks: Iterable[dict],
    total: int | None,
    progress: ProgressCallback | None,
    *,
    position: int | None,
) -> dt.datetime | None:
    """Apply the tasks a page at a time, each page with the run's progress; the newest updated_at seen.

    position: for an export, how many of its tasks were applied before these.
    """
    page_size = settings.LABEL_STUDIO_PULL_PAGE_SIZE
    newest_seen: dt.datetime | None = None
    page: list[dict] = []
    for task in tasks:
        page.append(task)
        if len(page) < page_size:
            continue
        newest_seen = _latest(newest_seen, page)
        position = _apply_page(label_studio_project, run, page, position, total, progress)
        page = []
    if page:
        newest_seen = _latest(newest_seen, page)
        _apply_page(label_studio_project, run, page, position, total, progress)
    return newest_seen


def _apply_page(
    label_studio_project: LabelStudioProject,
    run: SyncRun,
    page: list[dict],
    position: int | None,
    total: int | None,
    progress: ProgressCallback | None,
) -> int | None:
    """Upsert one page and add it to the run's counts (and export position) in the same transaction."""
    with transaction.atomic():
        counts = apply_label_studio_tasks(label_studio_project, page, authoritative=True)
        added = {name: getattr(counts, name) for name in COUNTED}
        values = {name: F(name) + number for name, number in added.items()}
        if position is not None:
            position += len(page)
            values["export_applied"] = position
        SyncRun.objects.filter(pk=run.pk).update(**values)
    for name, number in added.items():
        setattr(run, name, getattr(run, name) + number)
    if position is not None:
        run.export_applied = position
    if progress:
        progress(run.tasks_seen if position is None else position, total)
    return position


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


def _finish(run: SyncRun, *, cursor_after, error: str) -> None:
    run.finished_at = timezone.now()
    run.cursor_after = cursor_after
    run.error = error
    run.save(update_fields=["finished_at", "cursor_after", "error"])


def _latest(current: dt.datetime | None, tasks: list[dict]) -> dt.datetime | None:
    for task in tasks:
        moment = parse_time(task.get("updated_at"))
        if moment and (current is None or moment > current):
            current = moment
    return current
