"""A project manager puts imported tasks into a batch: all or none, only the project's own, never a pushed one."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from projects.audit import Actor
from projects.labeling.batch_tasks import PutInBatchRefused, put_tasks_in_batch
from projects.labeling.services import current_config_version
from projects.models import Batch, LabelStudioConnection, LabelStudioProject, PushedTask, Task
from projects.reporting.list_counts import batches_with_counts
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = LabelingProjectFactory(name="Aftersales triage")
    other_project = LabelingProjectFactory(name="Dealer chats")
    batch = BatchFactory(project=project, name="w49")
    earlier = BatchFactory(project=project, name="w48")
    imported = [TaskFactory(project=project, external_id=f"conv-{number}") for number in range(3)]
    return {
        "project": project,
        "other_project": other_project,
        "batch": batch,
        "earlier": earlier,
        "imported": imported,
        "pm": Actor.person(UserFactory(username="pm"), via="admin"),
    }


def _batch_ids(tasks: list[Task]) -> list[int | None]:
    return [Task.objects.get(pk=task.pk).batch_id for task in tasks]


def _push(task: Task) -> None:
    """Record the task as pushed to a Label Studio project of its batch, as push_batch does."""
    connection, _ = LabelStudioConnection.objects.get_or_create(
        name="ls-vendor", defaults={"url": "http://127.0.0.1:9", "vendor": task.batch.vendor}
    )
    label_studio_project, _ = LabelStudioProject.objects.get_or_create(
        batch=task.batch,
        connection=connection,
        defaults={"label_studio_id": 7, "config_version": current_config_version(task.project)},
    )
    PushedTask.objects.create(label_studio_project=label_studio_project, task=task, label_studio_task_id=task.pk)


def test_imported_tasks_and_a_planned_batchs_tasks_move_into_the_batch_each_move_audited(world):
    batch, pm = world["batch"], world["pm"]
    replanned = TaskFactory(project=world["project"], batch=world["earlier"], external_id="conv-replanned")
    moving = [*world["imported"], replanned]
    assert batches_with_counts().get(pk=batch.pk).task_count == 0  # counted once before the move

    result = put_tasks_in_batch(tasks=moving, batch=batch, actor=pm)

    assert (result.moved, result.already_there) == (4, 0)
    assert _batch_ids(moving) == [batch.pk] * 4
    assert batches_with_counts().get(pk=batch.pk).task_count == 4  # the tally was marked for a recount
    assert batches_with_counts().get(pk=world["earlier"].pk).task_count == 0
    entries = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Task)).order_by("object_id")
    assert [(entry.object_id, entry.actor, entry.action) for entry in entries] == [
        (task.pk, pm.user, LogEntry.Action.UPDATE) for task in moving
    ]
    assert entries[0].additional_data == {"actor": "pm", "via": "admin"}
    assert entries[0].changes == {"batch": ["None", str(batch)]}
    assert entries[3].changes == {"batch": [str(world["earlier"]), str(batch)]}


def test_a_rerun_moves_nothing_and_says_the_tasks_were_there(world):
    put_tasks_in_batch(tasks=world["imported"], batch=world["batch"], actor=world["pm"])

    again = put_tasks_in_batch(
        tasks=Task.objects.filter(project=world["project"]), batch=world["batch"], actor=world["pm"]
    )

    assert (again.moved, again.already_there) == (0, 3)
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Task)).count() == 3


def test_a_task_of_another_project_is_refused_and_nothing_moves(world):
    stranger = TaskFactory(project=world["other_project"], external_id="dealer-1")

    with pytest.raises(PutInBatchRefused) as refused:
        put_tasks_in_batch(tasks=[*world["imported"], stranger], batch=world["batch"], actor=world["pm"])

    assert str(refused.value) == (
        "Task dealer-1 is of another project than Aftersales triage: a batch takes only its own project's tasks. "
        "Nothing was moved."
    )
    assert _batch_ids([*world["imported"], stranger]) == [None] * 4
    assert not LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Task)).exists()


def test_tasks_already_pushed_to_label_studio_are_refused_and_nothing_moves(world):
    earlier = world["earlier"]
    pushed = [TaskFactory(project=world["project"], batch=earlier, external_id=f"out-{n}") for n in range(7)]
    for task in pushed:
        _push(task)

    with pytest.raises(PutInBatchRefused) as refused:
        put_tasks_in_batch(tasks=[*world["imported"], *pushed], batch=world["batch"], actor=world["pm"])

    assert str(refused.value) == (
        "Tasks out-0, out-1, out-2, out-3, out-4 and 2 more were already pushed to Label Studio: a pushed task stays "
        "in the batch it went out with. Nothing was moved."
    )
    assert _batch_ids(world["imported"]) == [None] * 3
    assert _batch_ids(pushed) == [earlier.pk] * 7


def test_a_task_marked_pushed_is_refused_even_without_its_push_record(world):
    # A push records the status of its batch's tasks as it ends; either mark means the task went out.
    task = TaskFactory(project=world["project"], batch=world["earlier"], external_id="out-9", status="annotated")

    with pytest.raises(PutInBatchRefused, match="Task out-9 was already pushed to Label Studio"):
        put_tasks_in_batch(tasks=[task], batch=world["batch"], actor=world["pm"])


def test_a_gold_copy_mixed_into_its_batch_stays_there(world):
    gold = TaskFactory(project=world["project"], external_id="gold-1", is_gold=True, gold_answer=[])
    copy = TaskFactory(
        project=world["project"],
        batch=world["earlier"],
        external_id="gold-1~b2",
        is_gold=True,
        gold_answer=[],
        gold_source=gold,
    )

    with pytest.raises(PutInBatchRefused, match="Task gold-1~b2 is a gold copy mixed into its batch by a push"):
        put_tasks_in_batch(tasks=[copy], batch=world["batch"], actor=world["pm"])
    assert Task.objects.get(pk=copy.pk).batch_id == world["earlier"].pk


@pytest.mark.parametrize("status", [Batch.Status.ACCEPTED, Batch.Status.REJECTED])
def test_a_batch_qa_decided_takes_no_new_tasks(world, status):
    batch = world["batch"]
    batch.status = status
    batch.save()

    with pytest.raises(PutInBatchRefused, match=f"is {batch.get_status_display().lower()} by QA"):
        put_tasks_in_batch(tasks=world["imported"], batch=batch, actor=world["pm"])
    assert _batch_ids(world["imported"]) == [None] * 3


def test_no_tasks_chosen_is_refused(world):
    with pytest.raises(PutInBatchRefused, match="No tasks were chosen"):
        put_tasks_in_batch(tasks=Task.objects.none(), batch=world["batch"], actor=world["pm"])


def test_the_arguments_are_keyword_only_and_the_actor_is_an_actor(world):
    with pytest.raises(TypeError):
        put_tasks_in_batch(world["imported"], world["batch"], actor=world["pm"])  # type: ignore[misc]
    with pytest.raises(TypeError, match="actor must be an Actor"):
        put_tasks_in_batch(tasks=world["imported"], batch=world["batch"], actor=world["pm"].user)
