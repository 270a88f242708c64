"""Label Studio's JSON export as a stream: a snapshot made on the server, downloaded to a file, read task by task.

A full pull must not hold the export in memory (about 9.5 kB a task: 955 MB at 100,000 tasks). The snapshot is
streamed to a temporary file and ijson yields its tasks one by one, so memory follows the page being applied, not
the project. The snapshot stays on the server until the caller deletes it: a pull that stopped downloads the same
snapshot again and resumes where it was, since Label Studio's export has no order a new snapshot would keep.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import ijson
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.labelstudio.client import LabelStudioClient, LabelStudioError, LabelStudioNotFound, LabelStudioUnavailable

logger = logging.getLogger(__name__)
PULL_TITLE = "annotate pull"  # the title of the snapshots a pull makes, so it finds those left behind


class SnapshotGone(LabelStudioNotFound):
    """The snapshot was deleted from the server before it was downloaded."""


@dataclass
class ExportSnapshot:
    """A completed export snapshot on the server, downloaded to `file`."""

    export_id: int
    task_count: int | None
    file: IO[bytes]
    size: int

    def tasks(self, *, skip: int = 0) -> Iterator[dict]:
        """The snapshot's tasks in its own order, after the first `skip`; numbers as floats, as json gives them."""
        self.file.seek(0)
        tasks = ijson.items(self.file, "item", use_float=True)
        next(itertools.islice(tasks, skip, skip), None)  # parsed, not kept: the tasks an earlier run applied
        yield from tasks


def _not_found(client: LabelStudioClient, project_id: int) -> str:
    return f"Project {project_id} no longer exists on Label Studio at {client.url}."


def create_snapshot(client: LabelStudioClient, project_id: int, *, title: str = PULL_TITLE) -> dict:
    """Ask for a new export snapshot of the project and wait until it is complete; the snapshot as Label Studio says.

    Community builds it inside the POST (no queue without Redis), Enterprise in a queue, so its status is polled.
    """
    exports = f"api/projects/{project_id}/exports"
    timeout = settings.LABEL_STUDIO_EXPORT_TIMEOUT
    deadline = time.monotonic() + timeout
    snapshot = client.request(
        "POST", f"{exports}/", what=f"export project {project_id}", body={"title": title},
        idempotent=False, timeout=timeout, not_found=_not_found(client, project_id),
    )  # fmt: skip
    while snapshot.get("status") != "completed":
        if snapshot.get("status") == "failed" or time.monotonic() > deadline:
            delete_snapshot(client, project_id, snapshot["id"])
            raise LabelStudioUnavailable(
                f"Label Studio at {client.url} could not export project {project_id}: export "
                f"{snapshot['id']} is {snapshot.get('status')} after {timeout:.0f} s."
            )
        time.sleep(1)
        snapshot = client.request(
            "GET", f"{exports}/{snapshot['id']}", what=f"check the export of project {project_id}",
            not_found=_not_found(client, project_id),
        )  # fmt: skip
    return snapshot


def completed_snapshot(client: LabelStudioClient, project_id: int, export_id: int) -> dict | None:
    """The snapshot if it is still on the server and complete, else None (deleted, failed, or the project gone)."""
    try:
        snapshot = client.request(
            "GET", f"api/projects/{project_id}/exports/{export_id}", what=f"check export {export_id}"
        )
    except LabelStudioNotFound:
        return None
    return snapshot if snapshot.get("status") == "completed" else None


@contextmanager
def downloaded(client: LabelStudioClient, project_id: int, snapshot: dict) -> Iterator[ExportSnapshot]:
    """The snapshot's JSON streamed to a temporary file (gone when the block ends)."""
    export_id = snapshot["id"]
    with tempfile.TemporaryFile(prefix=f"label-studio-export-{export_id}-", suffix=".json") as file:
        try:
            size = client.download(
                f"api/projects/{project_id}/exports/{export_id}/download",
                into=file,
                what=f"download export {export_id} of project {project_id}",
                params={"exportType": "JSON"},
            )
        except LabelStudioNotFound:
            raise SnapshotGone(
                f"Export {export_id} of project {project_id} is gone from Label Studio at {client.url}."
            ) from None
        task_count = (snapshot.get("counters") or {}).get("task_number")
        yield ExportSnapshot(export_id=export_id, task_count=task_count, file=file, size=size)


def delete_snapshot(client: LabelStudioClient, project_id: int, export_id: int) -> None:
    """Delete the snapshot from the server; one left behind is logged, not raised."""
    try:
        client.request("DELETE", f"api/projects/{project_id}/exports/{export_id}", what=f"delete export {export_id}")
    except LabelStudioNotFound:
        pass
    except LabelStudioError as error:
        logger.warning("Label Studio at %s: export %s left behind: %s", client.url, export_id, error)


def delete_left_behind(client: LabelStudioClient, project_id: int, *, keep: int, made_before: dt.datetime) -> None:
    """Delete the project's pull snapshots other than `keep` made before `made_before` (the start of the pull that
    read `keep`): those of pulls killed while Label Studio built them, before annotate knew their id, or stopped and
    not resumed. Logged, not raised, when it cannot.

    Later ones may belong to a pull under way; an earlier one a slow pull still reads makes it ask for a new one."""
    try:
        listed = client.request("GET", f"api/projects/{project_id}/exports/", what=f"list exports of {project_id}")
    except LabelStudioError as error:
        logger.warning("Label Studio at %s: exports of project %s not listed: %s", client.url, project_id, error)
        return
    for snapshot in listed or []:
        made = parse_datetime(snapshot.get("created_at") or "")
        if made is not None and timezone.is_naive(made):
            made = timezone.make_aware(made, dt.UTC)
        if snapshot.get("title") == PULL_TITLE and snapshot["id"] != keep and made and made < made_before:
            delete_snapshot(client, project_id, snapshot["id"])


def exported_tasks(client: LabelStudioClient, project_id: int) -> list[dict]:
    """Every task of the project as Label Studio's JSON export, in memory; the snapshot is deleted once read."""
    snapshot = create_snapshot(client, project_id, title="annotate read")
    try:
        with downloaded(client, project_id, snapshot) as export:
            return list(export.tasks())
    finally:
        delete_snapshot(client, project_id, snapshot["id"])
