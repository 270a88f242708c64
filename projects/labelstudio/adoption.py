"""Adopting a Label Studio project annotate did not push: its config, tasks and annotations, with their history.

`adopt_project` reads as its steps: read the project and its export, check everything before writing (the config
parses, the labeling project and batch agree with it, every task gets an external id of its own, every author is
an annotator of the connection's vendor), then in one transaction create or match the labeling project, batch,
tasks and annotator accounts, record the links a push would have made (LabelStudioProject, PushedTask), and apply
the annotations with the upsert every pull ends in (upsert.py), which keeps Label Studio's own created_at,
lead_time and author. From then on the project is pulled like one annotate pushed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.errors import Refusal
from projects.ingest.language import detect_language, texts_of
from projects.labeling.authors import AuthorMap
from projects.labeling.label_config import LabelConfigError, parse_label_config
from projects.labeling.services import current_config_version
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.exports import exported_tasks
from projects.labelstudio.tenancy import check_tenancy
from projects.labelstudio.upsert import PullCounts, apply_label_studio_tasks, parse_time
from projects.labelstudio.webhooks import ensure_webhook
from projects.models import (
    Annotator,
    AnnotatorAccount,
    Batch,
    LabelingProject,
    LabelStudioConnection,
    LabelStudioProject,
    PushedTask,
    SyncRun,
    Task,
)

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class AdoptionRefused(Refusal):
    """The Label Studio project cannot be adopted as it is; nothing was written."""


@dataclass(frozen=True)
class AdoptionResult:
    label_studio_project: LabelStudioProject
    project_created: bool
    batch_created: bool
    tasks_created: int
    tasks_matched: int
    accounts_linked: int
    annotations: PullCounts


@dataclass
class _Plan:
    """What the adoption will write, decided before anything is written."""

    live: dict
    project: LabelingProject | None
    batch: Batch | None
    batch_name: str
    link: LabelStudioProject | None
    tasks: list[dict]
    external_ids: dict[int, str] = field(default_factory=dict)  # Label Studio task id → annotate external id
    matched: dict[int, int] = field(default_factory=dict)  # Label Studio task id → annotate task id
    new_accounts: dict[int, tuple[Annotator, str]] = field(default_factory=dict)  # user id → (annotator, e-mail)


@records_actor
def adopt_project(
    *,
    connection: LabelStudioConnection,
    label_studio_project_id: int,
    project_slug: str,
    batch_name: str | None = None,
    actor: Actor,
) -> AdoptionResult:
    """Bring a Label Studio project and its history into annotate, to be pulled from then on; idempotent, atomic.

    A rerun matches the project, batch, tasks and accounts it made and adds nothing. Refused, with nothing
    written, when annotate cannot parse the config, the slug's project has another config, the project is
    already adopted elsewhere, or an author maps to no annotator of the connection's vendor (they are listed).
    """
    started = timezone.now()
    client = LabelStudioClient.for_connection(connection)
    plan = _read(client, connection, label_studio_project_id, project_slug, batch_name)
    check_tenancy(connection, plan.batch, client=client)
    _plan_tasks(plan)
    _plan_authors(plan, client, connection)
    with transaction.atomic():
        project_created, batch_created = plan.project is None, plan.batch is None
        project = plan.project or _create_project(plan.live, project_slug, actor)
        batch = plan.batch or _create_batch(project, plan, connection)
        label_studio_project = plan.link or _create_link(plan, batch, connection, label_studio_project_id)
        for user_id, (annotator, email) in plan.new_accounts.items():
            AnnotatorAccount.objects.create(
                annotator=annotator, connection=connection, label_studio_user_id=user_id, email=email
            )
        created = _link_tasks(plan, label_studio_project, batch)
        counts = _apply_history(label_studio_project, plan.tasks, started)
    ensure_webhook(client, label_studio_project)
    return AdoptionResult(
        label_studio_project=label_studio_project,
        project_created=project_created,
        batch_created=batch_created,
        tasks_created=created,
        tasks_matched=len(plan.tasks) - created,
        accounts_linked=len(plan.new_accounts),
        annotations=counts,
    )


def _read(
    client: LabelStudioClient,
    connection: LabelStudioConnection,
    label_studio_project_id: int,
    project_slug: str,
    batch_name: str | None,
) -> _Plan:
    """The live project, its export, and what annotate already holds of it; refused when they disagree."""
    if not SLUG.match(project_slug or ""):
        raise AdoptionRefused(f"{project_slug!r} is not a project slug: use letters, digits, '-' and '_'.")
    live = client.get_project(label_studio_project_id)
    where = f"Label Studio project {label_studio_project_id} ({live.get('title')!r}) at {connection.url}"
    try:
        parse_label_config(live.get("label_config") or "")
    except LabelConfigError as error:
        raise AdoptionRefused(f"{where} has a label config annotate cannot use: {error} Nothing was adopted.") from None
    project = LabelingProject.objects.filter(slug=project_slug).first()
    if project is not None and _normalized(project.label_config) != _normalized(live["label_config"]):
        raise AdoptionRefused(
            f"Project {project_slug} has another label config than {where}; adopt it into a project of its own "
            "(another --project) or give both the same config first. Nothing was adopted."
        )
    batch_name = (batch_name or live.get("title") or f"Label Studio {label_studio_project_id}")[:120]
    batch = Batch.objects.filter(project=project, name=batch_name).first() if project else None
    link = LabelStudioProject.objects.filter(connection=connection, label_studio_id=label_studio_project_id).first()
    elsewhere = link is not None and link.batch_id != getattr(batch, "pk", None)
    if elsewhere or (link is not None and link.kind != LabelStudioProject.Kind.LABELING):
        raise AdoptionRefused(f"{where} is already in annotate, as {link}. Nothing was adopted.")
    if link is None and batch is not None and batch.label_studio_projects.filter(connection=connection).exists():
        raise AdoptionRefused(
            f"Batch {batch} already has a Label Studio project on {connection.name}; adopt {where} into another "
            "batch (--batch NAME). Nothing was adopted."
        )
    tasks = list(exported_tasks(client, label_studio_project_id))
    return _Plan(live=live, project=project, batch=batch, batch_name=batch_name, link=link, tasks=tasks)


def _normalized(text: str | None) -> str:
    return "\n".join(line.strip() for line in (text or "").strip().splitlines() if line.strip())


def _external_id(task: dict) -> str:
    """The task's own external id when its data or meta carry one, else its Label Studio id."""
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    for value in (data.get("external_id"), meta.get("external_id")):
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()[:255]
    return str(task["id"])


def _plan_tasks(plan: _Plan) -> None:
    """Each Label Studio task's external id and the annotate task it matches, if any; refused on a clash."""
    linked = dict(plan.link.tasks.values_list("label_studio_task_id", "task_id")) if plan.link else {}
    plan.external_ids = {task["id"]: _external_id(task) for task in plan.tasks}
    first_with: dict[str, int] = {}
    problems = []
    for task_id, external_id in plan.external_ids.items():
        first = first_with.setdefault(external_id, task_id)
        if first != task_id:
            problems.append(f"task {task_id}: external_id {external_id!r} is also the external_id of task {first}")
    existing = {}
    if plan.project is not None:
        unlinked = [external_id for task_id, external_id in plan.external_ids.items() if task_id not in linked]
        existing = {
            task.external_id: task
            for task in Task.objects.filter(project=plan.project, external_id__in=unlinked).only("pk", "batch_id")
        }
    taken = set(linked.values())
    for task_id, external_id in plan.external_ids.items():
        if task_id in linked:
            plan.matched[task_id] = linked[task_id]
            continue
        task = existing.get(external_id)
        if task is None:
            continue
        if task.pk in taken or (task.batch_id is not None and task.batch_id != getattr(plan.batch, "pk", None)):
            problems.append(f"task {task_id}: external_id {external_id!r} is already a task of another batch")
            continue
        plan.matched[task_id] = task.pk
    if problems:
        raise AdoptionRefused("Tasks clash with annotate's; nothing was adopted:\n" + "\n".join(problems[:20]))


def _plan_authors(plan: _Plan, client: LabelStudioClient, connection: LabelStudioConnection) -> None:
    """Each author's annotator, by an account on this server or by e-mail; refused, listing who cannot be mapped."""
    made = Counter(
        _user_id(annotation.get("completed_by"))
        for task in plan.tasks
        for annotation in task.get("annotations") or []
        if _user_id(annotation.get("completed_by")) is not None
    )
    known = set(
        AnnotatorAccount.objects.filter(connection=connection, label_studio_user_id__in=list(made)).values_list(
            "label_studio_user_id", flat=True
        )
    )
    unknown = [user_id for user_id in made if user_id not in known]
    if not unknown:
        return
    emails = {user["id"]: (user.get("email") or "") for user in client.list_users()}
    authors = AuthorMap(connection.vendor)
    with_account = set(AnnotatorAccount.objects.filter(connection=connection).values_list("annotator_id", flat=True))
    problems = []
    for user_id in sorted(unknown):
        email = emails.get(user_id, "")
        annotator = authors.annotator_for(email)
        if annotator is None or annotator.pk in with_account:
            reason = (
                authors.why_unmapped(email)
                if annotator is None
                else f"annotator {annotator} already has another user on this server"
            )
            who = f"Label Studio user {user_id} ({email or 'no e-mail'}), {made[user_id]} annotations"
            problems.append(f"{who}: {reason}")
            continue
        with_account.add(annotator.pk)
        plan.new_accounts[user_id] = (annotator, email.lower())
    if problems:
        raise AdoptionRefused(
            "These Label Studio users are no annotator of "
            f"{connection.vendor or 'annotate'}; add them as annotators with these e-mails (or give an annotator "
            "the e-mail), then adopt again. Nothing was adopted:\n" + "\n".join(problems)
        )


def _user_id(completed_by) -> int | None:
    return completed_by.get("id") if isinstance(completed_by, dict) else completed_by


def _create_project(live: dict, slug: str, actor: Actor) -> LabelingProject:
    project = LabelingProject(
        slug=slug,
        name=(live.get("title") or slug)[:200],
        label_config=live["label_config"],
        guidelines=live.get("expert_instruction") or "",
        overlap=max(1, int(live.get("maximum_annotations") or 1)),
        status=LabelingProject.Status.ACTIVE,
        created_by=actor.user,
    )
    project.full_clean()
    project.save()
    return project


def _create_batch(project: LabelingProject, plan: _Plan, connection: LabelStudioConnection) -> Batch:
    return Batch.objects.create(
        project=project,
        name=plan.batch_name,
        vendor=connection.vendor,
        target_count=len(plan.tasks),
        status=Batch.Status.PUSHED,
    )


def _create_link(
    plan: _Plan, batch: Batch, connection: LabelStudioConnection, label_studio_project_id: int
) -> LabelStudioProject:
    """The record a push would have made; dated, like the batch, when Label Studio's project was made."""
    label_studio_project = LabelStudioProject.objects.create(
        batch=batch, connection=connection, label_studio_id=label_studio_project_id,
        config_version=current_config_version(batch.project),
    )  # fmt: skip
    # The SLA figures count the vendor's work from the push: here, from when the vendor got the project.
    made_at = parse_time(plan.live.get("created_at"))
    if made_at is not None:
        LabelStudioProject.objects.filter(pk=label_studio_project.pk).update(created_at=made_at)
        label_studio_project.created_at = made_at
        if plan.batch is None:
            Batch.objects.filter(pk=batch.pk, created_at__gt=made_at).update(created_at=made_at)
    return label_studio_project


def _link_tasks(plan: _Plan, label_studio_project: LabelStudioProject, batch: Batch) -> int:
    """Create the tasks annotate lacks and link every task as pushed; how many were created."""
    already = set(label_studio_project.tasks.values_list("label_studio_task_id", flat=True))
    fresh = [task for task in plan.tasks if task["id"] not in plan.matched]
    created = Task.objects.bulk_create(
        [_task(batch, task, plan.external_ids[task["id"]]) for task in fresh], batch_size=1000
    )
    task_ids = {**plan.matched, **{item["id"]: task.pk for item, task in zip(fresh, created, strict=True)}}
    Task.objects.filter(pk__in=list(plan.matched.values()), batch__isnull=True).update(batch=batch)
    Task.objects.filter(pk__in=list(plan.matched.values()), status=Task.Status.NEW).update(status=Task.Status.PUSHED)
    PushedTask.objects.bulk_create(
        [
            PushedTask(label_studio_project=label_studio_project, task_id=task_id, label_studio_task_id=ls_id)
            for ls_id, task_id in task_ids.items()
            if ls_id not in already
        ],
        batch_size=1000,
    )
    label_studio_project.pushed_task_count = label_studio_project.tasks.count()
    label_studio_project.save(update_fields=["pushed_task_count"])
    return len(created)


def _task(batch: Batch, task: dict, external_id: str) -> Task:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    return Task(
        project_id=batch.project_id,
        batch=batch,
        external_id=external_id,
        data=data,
        language=detect_language(texts_of(data)),
        predictions=[
            {key: prediction[key] for key in ("result", "model_version", "score") if prediction.get(key) is not None}
            for prediction in task.get("predictions") or []
            if isinstance(prediction, dict) and isinstance(prediction.get("result"), list)
        ],
        status=Task.Status.PUSHED,
    )


def _apply_history(label_studio_project: LabelStudioProject, tasks: list[dict], started: dt.datetime) -> PullCounts:
    """Apply the export's annotations as a full pull does, page by page, and record it as the project's first run."""
    run = SyncRun.objects.create(
        label_studio_project=label_studio_project, kind=SyncRun.Kind.FULL,
        cursor_before=label_studio_project.pulled_through,
    )  # fmt: skip
    counts = PullCounts()
    page_size = settings.LABEL_STUDIO_PULL_PAGE_SIZE
    for start in range(0, len(tasks), page_size):
        counts.add(apply_label_studio_tasks(label_studio_project, tasks[start : start + page_size], authoritative=True))
    moments = [moment for moment in (parse_time(task.get("updated_at")) for task in tasks) if moment]
    # As a full pull: the cursor never passes the read's start, so a change made meanwhile is pulled next.
    cursor = min(max(moments), started) if moments else started
    LabelStudioProject.objects.filter(pk=label_studio_project.pk).update(pulled_through=cursor)
    label_studio_project.pulled_through = cursor
    run.finished_at = timezone.now()
    run.cursor_after = cursor
    for name in ("tasks_seen", "created", "updated", "deleted", "unchanged"):
        setattr(run, name, getattr(counts, name))
    run.save()
    return counts
