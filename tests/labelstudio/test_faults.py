"""Label Studio stopping midway loses nothing: the rerun finishes without duplicates."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.exports import exported_tasks
from projects.labelstudio.pull import PullFailed, pull_annotations
from projects.labelstudio.push import push_batch
from projects.models import Annotation, LabelStudioProject, PushedTask, SyncRun
from tests.actors import SYSTEM
from tests.labelstudio.helpers import assert_mirrors_label_studio_export, label_tasks, make_batch

pytestmark = pytest.mark.labelstudio


def _remote_annotate_ids(label_studio_project: LabelStudioProject) -> list[int]:
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    return [task["meta"]["annotate_task_id"] for task in exported_tasks(client, label_studio_project.label_studio_id)]


def test_label_studio_stopped_in_the_middle_of_a_push(vendor_connection, running_label_studio, fast_retries, settings):
    settings.LABEL_STUDIO_PUSH_CHUNK = 10
    batch = make_batch(vendor_connection, tasks=40)

    def stop_after_two_chunks(done: int, total: int) -> None:
        if done == 20:
            running_label_studio.stop()

    with pytest.raises(Exception, match=f"Label Studio at {running_label_studio.url} is not reachable"):
        push_batch(batch=batch, progress=stop_after_two_chunks, actor=SYSTEM)
    with pytest.raises(CommandError, match=f"Push of batch {batch.pk} stopped: Label Studio at .* is not reachable"):
        call_command("push_batch", str(batch.pk), "--no-progress")
    assert PushedTask.objects.filter(task__batch=batch).count() == 20

    running_label_studio.start()
    result = push_batch(batch=batch, actor=SYSTEM)

    assert (result.pushed, result.already_there) == (20, 20)
    remote = _remote_annotate_ids(LabelStudioProject.objects.get(batch=batch))
    assert len(remote) == 40
    assert sorted(remote) == sorted(batch.tasks.values_list("pk", flat=True))


def test_a_push_killed_between_import_and_record_is_recovered_not_duplicated(vendor_connection, settings):
    # A worker killed right after Label Studio accepted a chunk, before annotate recorded
    # the new task ids, leaves Label Studio ahead of annotate. No real kill can be timed
    # into that gap, so the test forgets the last chunk's records, which is the state it leaves.
    settings.LABEL_STUDIO_PUSH_CHUNK = 10
    batch = make_batch(vendor_connection, tasks=30)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    last_chunk = PushedTask.objects.filter(label_studio_project=label_studio_project).order_by("-task_id")[:10]
    PushedTask.objects.filter(pk__in=[pushed.pk for pushed in last_chunk]).delete()

    result = push_batch(batch=batch, actor=SYSTEM)

    assert (result.pushed, result.recovered) == (0, 10)
    remote = _remote_annotate_ids(label_studio_project)
    assert sorted(remote) == sorted(batch.tasks.values_list("pk", flat=True))
    assert PushedTask.objects.filter(label_studio_project=label_studio_project).count() == 30


def test_label_studio_stopped_in_the_middle_of_a_pull(vendor_connection, running_label_studio, fast_retries, settings):
    settings.LABEL_STUDIO_PULL_PAGE_SIZE = 5
    settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS = 0
    batch = make_batch(vendor_connection, tasks=20, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)  # the full pull sets the cursor
    cursor = LabelStudioProject.objects.get(pk=label_studio_project.pk).pulled_through
    label_tasks(label_studio_project, per_task=2)

    def stop_after_first_page(done: int, total) -> None:
        if done == 5:
            running_label_studio.stop()

    with pytest.raises(PullFailed, match=f"Label Studio at {running_label_studio.url} is not reachable"):
        pull_annotations(label_studio_project=label_studio_project, progress=stop_after_first_page, actor=SYSTEM)
    failed = SyncRun.objects.filter(label_studio_project=label_studio_project).latest("started_at")
    assert "not reachable" in failed.error
    assert failed.created == 10  # the first page's annotations are kept
    assert LabelStudioProject.objects.get(pk=label_studio_project.pk).pulled_through == cursor
    with pytest.raises(CommandError, match="1 of 1 projects could not be pulled"):
        call_command("sync_labelstudio", "--project", batch.project.slug, "--no-progress")

    running_label_studio.start()
    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert run.created == 30
    assert assert_mirrors_label_studio_export(label_studio_project) == 40
    assert Annotation.objects.filter(task__batch=batch).count() == 40


def test_the_same_pull_twice_changes_nothing(vendor_connection):
    batch = make_batch(vendor_connection, tasks=5, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    label_tasks(label_studio_project, per_task=2)

    first = pull_annotations(label_studio_project=label_studio_project, full=True, actor=SYSTEM)
    second = pull_annotations(label_studio_project=label_studio_project, full=True, actor=SYSTEM)

    assert first.created == 10
    assert (second.created, second.updated, second.deleted, second.unchanged) == (0, 0, 0, 10)
    assert Annotation.objects.filter(task__batch=batch).count() == 10
