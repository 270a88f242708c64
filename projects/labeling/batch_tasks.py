"""Putting imported tasks into a batch: how a project manager plans work after an import without a batch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from projects.audit import Actor, records_actor
from projects.errors import Refusal
from projects.labeling.staleness import mark_batches_stale
from projects.models import Batch, PushedTask, Task

NAMED_AT_MOST = 5  # external ids a refusal names before it says "and N more"


class PutInBatchRefused(Refusal):
    """The tasks cannot go into the batch as asked; nothing was moved."""


@dataclass(frozen=True)
class PutInBatchResult:
    moved: int  # tasks now in the batch that were elsewhere (in no batch, or another batch of the project)
    already_there: int


@records_actor
def put_tasks_in_batch(*, tasks: QuerySet[Task] | Iterable[Task], batch: Batch, actor: Actor) -> PutInBatchResult:
    """Put tasks into a batch of their own project, all or none; each move is in the audit log with its actor.

    Refused, moving nothing, when any task is of another project, was already pushed to Label Studio (its
    labels belong to the Label Studio project of the batch it went out with), or is a gold copy mixed into its
    batch by a push; and when QA already decided the batch. Tasks already in the batch stay as they are, so a
    rerun moves nothing. The tasks are locked while they are checked and moved, and the batches they leave and
    join are marked for a recount.
    """
    if isinstance(tasks, QuerySet):
        task_ids = sorted(set(tasks.values_list("pk", flat=True)))
    else:
        task_ids = sorted({task.pk for task in tasks})
    if not task_ids:
        raise PutInBatchRefused("No tasks were chosen: nothing to put in a batch.")
    if batch.status in (Batch.Status.ACCEPTED, Batch.Status.REJECTED):
        raise PutInBatchRefused(
            f"{batch} is {batch.get_status_display().lower()} by QA: new tasks go into an open batch."
        )

    with transaction.atomic():
        locked = list(
            Task.objects.select_for_update(of=("self",))
            .filter(pk__in=task_ids)
            .annotate(was_pushed=Exists(PushedTask.objects.filter(task=OuterRef("pk"))))
            .select_related("project", "batch__project")
            .order_by("pk")
        )
        _refuse_what_cannot_move(locked, batch)
        moving = [task for task in locked if task.batch_id != batch.pk]
        if moving:
            _record_moves(moving, batch, actor)
            mark_batches_stale([batch.pk, *(task.batch_id for task in moving)])
            Task.objects.filter(pk__in=[task.pk for task in moving]).update(batch=batch)
    return PutInBatchResult(moved=len(moving), already_there=len(locked) - len(moving))


def _refuse_what_cannot_move(tasks: list[Task], batch: Batch) -> None:
    foreign = [task for task in tasks if task.project_id != batch.project_id]
    if foreign:
        raise PutInBatchRefused(
            f"{_named(foreign)} {_verb(foreign, 'is', 'are')} of another project than {batch.project}: a batch "
            "takes only its own project's tasks. Nothing was moved."
        )
    pushed = [task for task in tasks if task.was_pushed or task.status != Task.Status.NEW]
    if pushed:
        raise PutInBatchRefused(
            f"{_named(pushed)} {_verb(pushed, 'was', 'were')} already pushed to Label Studio: a pushed task stays in "
            "the batch it went out with. Nothing was moved."
        )
    copies = [task for task in tasks if task.gold_source_id is not None and task.batch_id != batch.pk]
    if copies:
        raise PutInBatchRefused(
            f"{_named(copies)} {_verb(copies, 'is a gold copy', 'are gold copies')} mixed into "
            f"{_verb(copies, 'its', 'their')} batch by a push, and {_verb(copies, 'stays', 'stay')} there. "
            "Nothing was moved."
        )


def _record_moves(tasks: list[Task], batch: Batch, actor: Actor) -> None:
    """One audit log entry per task moved, as django-auditlog writes a change of a field: the batch, before and after.

    Written in bulk (a move may take thousands of tasks), so what `Actor.recorded` adds to each entry is set here:
    the person, the actor's name and interface, the request's address.
    """
    try:
        request = auditlog_value.get()
    except LookupError:  # not inside a request (a command, a test)
        request = {}
    content_type = ContentType.objects.get_for_model(Task)
    cid = get_cid()
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=content_type,
                object_pk=str(task.pk),
                object_id=task.pk,
                object_repr=str(task),
                action=LogEntry.Action.UPDATE,
                changes={"batch": [str(task.batch) if task.batch else "None", str(batch)]},
                actor=actor.user,
                actor_email=getattr(actor.user, "email", None) or None,
                additional_data={"actor": actor.name, "via": actor.via},
                remote_addr=request.get("remote_addr"),
                cid=cid,
            )
            for task in tasks
        ],
        batch_size=1000,
    )


def _verb(tasks: list[Task], one: str, many: str) -> str:
    return one if len(tasks) == 1 else many


def _named(tasks: list[Task]) -> str:
    """ "Task a", or "Tasks a, b, c and 4 more": the external ids a person finds in the task list."""
    names = ", ".join(task.external_id for task in tasks[:NAMED_AT_MOST])
    more = len(tasks) - NAMED_AT_MOST
    if len(tasks) == 1:
        return f"Task {names}"
    return f"Tasks {names} and {more} more" if more > 0 else f"Tasks {names}"
