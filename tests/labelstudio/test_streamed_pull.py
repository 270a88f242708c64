"""A full pull streams the export snapshot page by page; one that stopped resumes in it without duplicates."""

from __future__ import annotations

import pytest
from django.db.models import Count

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.push import push_batch
from projects.models import Annotation, LabelStudioProject, SyncRun
from tests.actors import SYSTEM
from tests.labelstudio.helpers import assert_mirrors_label_studio_export, choice, label_tasks, make_batch

pytestmark = pytest.mark.labelstudio


class WorkerStopped(Exception):
    """Stands for a worker that dies between two pages (a SIGKILL shows no exception; see test_pull_kills.py)."""


def _labeled_project(connection, *, tasks: int, per_task: int = 1) -> tuple[LabelStudioProject, list[int]]:
    batch = make_batch(connection, tasks=tasks, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    return label_studio_project, label_tasks(label_studio_project, per_task=per_task)


def _snapshots_left(label_studio_project: LabelStudioProject) -> list[dict]:
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    return client.request("GET", f"api/projects/{label_studio_project.label_studio_id}/exports/", what="list exports")


def _no_duplicates(label_studio_project: LabelStudioProject) -> None:
    repeated = (
        Annotation.objects.filter(connection=label_studio_project.connection)
        .values("label_studio_id")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
    )
    assert not repeated.exists()


def test_a_full_pull_applies_exactly_what_the_export_holds_page_by_page(vendor_connection, settings):
    settings.LABEL_STUDIO_PULL_PAGE_SIZE = 4
    label_studio_project, annotation_ids = _labeled_project(vendor_connection, tasks=10, per_task=2)
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    client = LabelStudioClient.for_connection(vendor_connection)
    edited, deleted = annotation_ids[3], annotation_ids[8]
    client.request("PATCH", f"api/annotations/{edited}/", what="edit", body={"result": [choice("scenario", "refund")]})
    client.request("DELETE", f"api/annotations/{deleted}/", what="delete")
    seen: list[tuple[int, int | None]] = []

    run = pull_annotations(
        label_studio_project=label_studio_project, full=True, actor=SYSTEM, progress=lambda *step: seen.append(step)
    )

    assert seen == [(4, 10), (8, 10), (10, 10)]  # three pages of the snapshot's ten tasks
    assert (run.kind, run.tasks_seen, run.export_applied) == (SyncRun.Kind.FULL, 10, 10)
    assert (run.created, run.updated, run.deleted, run.unchanged) == (0, 1, 1, 18)
    assert assert_mirrors_label_studio_export(label_studio_project) == 19
    assert Annotation.objects.get(connection=vendor_connection, label_studio_id=deleted).is_deleted
    assert Annotation.objects.get(connection=vendor_connection, label_studio_id=edited).version == 2
    assert _snapshots_left(label_studio_project) == []  # the pull deletes its snapshot once applied


def test_a_full_pull_stopped_midway_resumes_after_its_last_page_without_duplicates(vendor_connection, settings):
    settings.LABEL_STUDIO_PULL_PAGE_SIZE = 3
    settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS = 0
    label_studio_project, annotation_ids = _labeled_project(vendor_connection, tasks=10, per_task=1)

    def stop_after_two_pages(done: int, total: int | None) -> None:
        if done == 6:
            raise WorkerStopped

    with pytest.raises(WorkerStopped):
        pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM, progress=stop_after_two_pages)
    stopped = SyncRun.objects.get(label_studio_project=label_studio_project)
    assert (stopped.finished_at, stopped.export_applied, stopped.created) == (None, 6, 6)
    assert Annotation.objects.filter(connection=vendor_connection).count() == 6
    # Meanwhile annotators go on: one edit of an applied task, one of a task still to come.
    client = LabelStudioClient.for_connection(vendor_connection)
    for annotation_id in (annotation_ids[1], annotation_ids[8]):
        client.request(
            "PATCH", f"api/annotations/{annotation_id}/", what="edit", body={"result": [choice("scenario", "damaged")]}
        )

    resumed = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert resumed.kind == SyncRun.Kind.FULL  # still no cursor: the first pull goes on
    assert resumed.export_id == stopped.export_id
    assert (resumed.tasks_seen, resumed.created, resumed.export_applied) == (4, 4, 10)
    _no_duplicates(label_studio_project)
    assert _snapshots_left(label_studio_project) == []
    # The snapshot predates both edits and the cursor stays before it, so the next pull brings them.
    after = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    assert after.kind == SyncRun.Kind.INCREMENTAL
    assert after.updated == 2
    assert assert_mirrors_label_studio_export(label_studio_project) == 10
    _no_duplicates(label_studio_project)


def test_a_stopped_full_pull_whose_snapshot_is_gone_starts_a_new_one(vendor_connection, settings):
    settings.LABEL_STUDIO_PULL_PAGE_SIZE = 4
    label_studio_project, _ = _labeled_project(vendor_connection, tasks=8, per_task=1)

    def stop_after_one_page(done: int, total: int | None) -> None:
        if done == 4:
            raise WorkerStopped

    with pytest.raises(WorkerStopped):
        pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM, progress=stop_after_one_page)
    stopped = SyncRun.objects.get(label_studio_project=label_studio_project)
    client = LabelStudioClient.for_connection(vendor_connection)
    client.request(
        "DELETE", f"api/projects/{label_studio_project.label_studio_id}/exports/{stopped.export_id}", what="delete"
    )

    again = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert again.export_id != stopped.export_id
    assert (again.tasks_seen, again.created, again.unchanged) == (8, 4, 4)
    assert assert_mirrors_label_studio_export(label_studio_project) == 8
    _no_duplicates(label_studio_project)


def test_an_edit_during_an_incremental_pull_does_not_make_it_skip_a_task(vendor_connection, settings):
    settings.LABEL_STUDIO_PULL_PAGE_SIZE = 2
    settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS = 0
    label_studio_project, annotation_ids = _labeled_project(vendor_connection, tasks=6, per_task=1)
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    client = LabelStudioClient.for_connection(vendor_connection)

    def edit(annotation_id: int, scenario: str) -> None:
        client.request(
            "PATCH", f"api/annotations/{annotation_id}/", what="edit", body={"result": [choice("scenario", scenario)]}
        )

    for annotation_id in annotation_ids:
        edit(annotation_id, "refund")

    def annotator_edits_a_task_already_read(done: int, total: int | None) -> None:
        if done == 2:  # the first task read moves to the end of the list ordered by updated_at
            edit(annotation_ids[0], "damaged")

    run = pull_annotations(
        label_studio_project=label_studio_project, actor=SYSTEM, progress=annotator_edits_a_task_already_read
    )

    assert run.kind == SyncRun.Kind.INCREMENTAL
    assert run.updated >= 6
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)  # brings the edit made meanwhile
    assert assert_mirrors_label_studio_export(label_studio_project) == 6
