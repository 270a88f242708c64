"""Pushing a batch to its vendor's Label Studio server."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from projects.audit import Actor, records_actor
from projects.errors import Refusal
from projects.labeling.gold_mixing import GoldMix, mix_gold
from projects.labeling.label_config import cached_label_config, result_errors
from projects.labeling.services import current_config_version
from projects.labelstudio.accounts import ensure_annotator_accounts
from projects.labelstudio.client import LabelStudioClient, LabelStudioError, LabelStudioUnavailable
from projects.labelstudio.connections import connection_for_batch
from projects.labelstudio.tenancy import check_tenancy
from projects.labelstudio.webhooks import ensure_webhook
from projects.models import Batch, LabelStudioConnection, LabelStudioProject, PushedTask, Task
from projects.models.overlap import starting_overlap

ProgressCallback = Callable[[int, int], None]


class PushRefused(Refusal):
    """The batch cannot be pushed as it is; nothing was sent."""


@dataclass(frozen=True)
class PushResult:
    label_studio_project_id: int
    project_url: str
    pushed: int
    recovered: int
    already_there: int
    gold: GoldMix | None = None


def label_studio_title(batch: Batch) -> str:
    # Label Studio wants 3 to 50 characters; the batch id keeps titles unique per server.
    suffix = f" #{batch.pk}"
    return f"{batch.project.slug} · {batch.name}"[: 50 - len(suffix)] + suffix


@records_actor
def push_batch(
    *,
    batch: Batch,
    actor: Actor,
    connection: LabelStudioConnection | None = None,
    progress: ProgressCallback | None = None,
) -> PushResult:
    """Push the batch's tasks to a Label Studio project of its vendor; send only what is missing.

    Idempotent and resumable: a push that died midway (Label Studio down, a worker
    killed) is finished by the next run, and no task is ever imported twice: tasks
    that reached Label Studio before the failure are found by their annotate id.
    """
    connection = connection or connection_for_batch(batch)
    project = batch.project
    _check_predictions(batch)
    client = LabelStudioClient.for_connection(connection)
    check_tenancy(connection, batch, client=client)  # before anything is created there
    gold = mix_gold(batch=batch)  # before anything reaches Label Studio: gold goes out like any other task
    config_version = current_config_version(project)
    label_studio_project = _ensure_project(client, batch, connection, config_version)
    ensure_webhook(client, label_studio_project)
    ensure_annotator_accounts(client, connection, batch.vendor.annotators.filter(is_active=True))

    recovered = _recover_unrecorded(client, label_studio_project)
    total = Task.objects.filter(batch=batch).count()
    already_there = label_studio_project.tasks.count()
    pushed = 0
    chunk_size = settings.LABEL_STUDIO_PUSH_CHUNK
    last_pk = 0  # every task up to here is recorded: the next chunk starts after it, not at the batch's start
    while True:
        chunk = list(
            Task.objects.filter(batch=batch, pk__gt=last_pk)
            .exclude(pushes__label_studio_project=label_studio_project)
            .order_by("pk")
            .only("pk", "external_id", "data", "predictions")[:chunk_size]
        )
        if not chunk:
            break
        pushed += _import_chunk(client, label_studio_project, chunk)
        last_pk = chunk[-1].pk
        if progress:
            progress(already_there + pushed, total)

    with transaction.atomic():
        Task.objects.filter(batch=batch, status=Task.Status.NEW).update(status=Task.Status.PUSHED)
        if batch.status == Batch.Status.PLANNED:
            batch.status = Batch.Status.PUSHED
            batch.save(update_fields=["status"])
        label_studio_project.pushed_task_count = label_studio_project.tasks.count()
        label_studio_project.save(update_fields=["pushed_task_count"])
    return PushResult(
        label_studio_project_id=label_studio_project.label_studio_id,
        project_url=label_studio_project.browser_url,
        pushed=pushed,
        recovered=recovered,
        already_there=already_there - recovered,
        gold=gold,
    )


def _check_predictions(batch: Batch) -> None:
    # Label Studio 1.23 accepts predictions that name unknown controls or labels, and
    # annotators then see nothing pre-filled; refuse the push instead.
    config = cached_label_config(batch.project.label_config)
    problems = []
    for external_id, predictions in (
        Task.objects.filter(batch=batch).exclude(predictions=[]).values_list("external_id", "predictions").iterator()
    ):
        for index, prediction in enumerate(predictions):
            for problem in result_errors(config, prediction.get("result")):
                problems.append(f"task {external_id}: predictions[{index}]: {problem}")
        if len(problems) >= 20:
            break
    if problems:
        raise PushRefused("Predictions do not fit the label config; nothing was pushed:\n" + "\n".join(problems))


def _ensure_project(client, batch, connection, config_version) -> LabelStudioProject:
    existing = LabelStudioProject.objects.filter(
        batch=batch, connection=connection, kind=LabelStudioProject.Kind.LABELING
    ).first()
    if existing:
        client.get_project(existing.label_studio_id)  # a clear error if someone deleted it
        return existing
    title = label_studio_title(batch)
    marker = f"annotate batch {batch.uid}"
    # A project created by a run that died before recording it is adopted, not duplicated.
    found = [item for item in client.find_projects(title) if marker in (item.get("description") or "")]
    if found:
        label_studio_id = found[0]["id"]
    else:
        label_studio_id = client.create_project(
            title=title,
            description=f"{batch.project.name}: {batch.name}. Managed by annotate ({marker}).",
            label_config=config_version.label_config,
            instructions=config_version.guidelines,
            overlap=starting_overlap(batch.project),
        )["id"]
    project, _ = LabelStudioProject.objects.get_or_create(
        batch=batch,
        connection=connection,
        kind=LabelStudioProject.Kind.LABELING,
        defaults={"label_studio_id": label_studio_id, "config_version": config_version},
    )
    return project


def _recover_unrecorded(client: LabelStudioClient, label_studio_project: LabelStudioProject) -> int:
    """Record tasks that reached Label Studio in a run that died before recording them."""
    known_max = label_studio_project.tasks.aggregate(top=Max("label_studio_task_id"))["top"] or 0
    found = client.iter_tasks(
        label_studio_project.label_studio_id,
        filters=[{"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": known_max}],
        include="id,meta",
        fields="task_only",
        page_size=5000,
    )
    by_task = {
        int(item["meta"]["annotate_task_id"]): item["id"]
        for item in found
        if isinstance(item.get("meta"), dict) and item["meta"].get("annotate_task_id") is not None
    }
    if not by_task:
        return 0
    valid = set(Task.objects.filter(pk__in=by_task, batch=label_studio_project.batch).values_list("pk", flat=True))
    links = [
        PushedTask(label_studio_project=label_studio_project, task_id=task_id, label_studio_task_id=by_task[task_id])
        for task_id in valid
    ]
    created = PushedTask.objects.bulk_create(links, ignore_conflicts=True)
    return len(created)


def _payload(task: Task) -> dict:
    item = {"data": task.data, "meta": {"annotate_task_id": task.pk, "external_id": task.external_id}}
    if task.predictions:
        item["predictions"] = [
            {
                "result": prediction["result"],
                "model_version": str(prediction.get("model_version", "")),
                **({"score": prediction["score"]} if prediction.get("score") is not None else {}),
            }
            for prediction in task.predictions
        ]
    return item


def _import_chunk(client: LabelStudioClient, label_studio_project: LabelStudioProject, chunk: list[Task]) -> int:
    """Import one chunk, retrying after a failure only with what did not arrive."""
    attempts = 1 + settings.LABEL_STUDIO_RETRIES
    remaining = chunk
    for attempt in range(1, attempts + 1):
        try:
            task_ids = client.import_tasks(label_studio_project.label_studio_id, [_payload(task) for task in remaining])
        except LabelStudioUnavailable:
            if attempt == attempts:
                raise
            time.sleep(settings.LABEL_STUDIO_BACKOFF * 2 ** (attempt - 1))
            try:
                _recover_unrecorded(client, label_studio_project)
            except LabelStudioError:
                continue  # still down: try the import again after the next pause
            recorded = set(label_studio_project.tasks.filter(task__in=remaining).values_list("task_id", flat=True))
            remaining = [task for task in remaining if task.pk not in recorded]
            if not remaining:
                return len(chunk)
            continue
        PushedTask.objects.bulk_create(
            [
                PushedTask(label_studio_project=label_studio_project, task=task, label_studio_task_id=task_id)
                for task, task_id in zip(remaining, task_ids, strict=True)
            ]
        )
        return len(chunk)
    raise AssertionError("unreachable")  # the last attempt returns or raises
