"""Celery tasks: thin, idempotent wrappers over services, retrying only transient failures.

A job asked for by a person carries their id (`requested_by`) and runs as them; a periodic or
webhook job runs as annotate itself, named for the job: the audit log says which.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from celery import Task as CeleryTask
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model

from projects.audit import Actor
from projects.labelstudio.client import LabelStudioUnavailable
from projects.labelstudio.pull import PullFailed, pull_annotations
from projects.labelstudio.push import push_batch
from projects.labelstudio.receiver import process_webhook
from projects.labelstudio.sync import sync_all
from projects.models import Batch, LabelStudioProject, WebhookEvent
from projects.quality.review.rework import send_rework
from projects.reporting.refresh import refresh_dashboards
from projects.sla.monitor import check_slas
from projects.workforce.overlap import apply_overlap_policies

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)
# Dynamic overlap's raises are the policy's decisions, whoever asked for the pull.
OVERLAP_POLICY = Actor.system("overlap policy", via="job after pull")
TRANSIENT = dict(autoretry_for=(LabelStudioUnavailable,), retry_backoff=10, retry_backoff_max=600, max_retries=6)


def job_actor(job: str, requested_by: int | None, *, otherwise: str) -> Actor:
    """The person who asked for the job (by id), else annotate itself as `otherwise`."""
    user = get_user_model().objects.filter(pk=requested_by, is_active=True).first() if requested_by else None
    return Actor.of(user, via=f"job {job}", otherwise=otherwise)


@shared_task(acks_late=True, **TRANSIENT)
def push_batch_task(batch_id: int, requested_by: int | None = None) -> dict:
    batch = Batch.objects.select_related("project", "vendor").get(pk=batch_id)
    result = push_batch(batch=batch, actor=job_actor("push_batch", requested_by, otherwise="push"))
    return {"pushed": result.pushed, "label_studio_project_id": result.label_studio_project_id}


@shared_task(acks_late=True, **TRANSIENT)
def send_rework_task(batch_id: int, requested_by: int | None = None) -> dict:
    batch = Batch.objects.select_related("project", "vendor").get(pk=batch_id)
    result = send_rework(batch=batch, actor=job_actor("send_rework", requested_by, otherwise="rework"))
    return {"sent": result.sent, "recovered": result.recovered}


@shared_task(acks_late=True, autoretry_for=(PullFailed,), retry_backoff=10, retry_backoff_max=600, max_retries=6)
def pull_annotations_task(label_studio_project_id: int, full: bool = False, requested_by: int | None = None) -> dict:
    label_studio_project = LabelStudioProject.objects.select_related("connection", "batch__project").get(
        pk=label_studio_project_id
    )
    actor = job_actor("pull_annotations", requested_by, otherwise="Label Studio pull")
    run = pull_annotations(label_studio_project=label_studio_project, actor=actor, full=full)
    apply_overlap_policies(actor=OVERLAP_POLICY, project_slug=label_studio_project.batch.project.slug)
    refresh_dashboards_task.delay()
    return {"run": run.pk, "created": run.created, "updated": run.updated, "deleted": run.deleted}


@shared_task(acks_late=True)
def sync_labelstudio_task(project_slug: str | None = None, full: bool = False, requested_by: int | None = None) -> int:
    """The periodic reconciliation: an incremental pull of every pushed project (or one project's)."""
    actor = job_actor("sync_labelstudio", requested_by, otherwise="Label Studio sync")
    pulled = len(sync_all(actor=actor, project_slug=project_slug, full=full))
    apply_overlap_policies(actor=OVERLAP_POLICY, project_slug=project_slug)
    refresh_dashboards_task.delay()
    return pulled


@shared_task(acks_late=True, max_retries=3, default_retry_delay=5)
def process_webhook_event(event_id: int) -> None:
    event = WebhookEvent.objects.select_related("connection").get(pk=event_id)
    if event.processed_at is None:
        process_webhook(event, actor=Actor.system("Label Studio webhook", via="job process_webhook_event"))


@shared_task(acks_late=True)
def check_slas_task() -> dict:
    """The periodic SLA check (every SLA_CHECK_SECONDS); idempotent, so a redelivered run notifies nothing twice."""
    result = check_slas(actor=Actor.system("SLA monitor", via="job check_slas"))
    return {"checked": result.checked, "changes": len(result.changes), "emails_sent": result.emails_sent}


@shared_task(acks_late=True)
def refresh_dashboards_task() -> dict:
    """Recount stale batches and their projects' anomaly flags (after pulls and every TALLY_REFRESH_SECONDS)."""
    refreshed = refresh_dashboards()
    return {"batches": refreshed.batches, "projects": refreshed.projects}


@dataclass(frozen=True)
class JobRun:
    """How a job asked for by a person went: run now (with its outcome) or queued for a worker."""

    queued: bool
    outcome: dict | None = None


def run_now_or_queue(job: CeleryTask, *args, requested_by: AbstractBaseUser) -> JobRun:
    """Run `job` as the person `requested_by` in this process when Celery is eager (the embedded mode), else queue it.

    Run now, a refusal or an outside failure reaches the caller as raised; queued, the worker
    retries transient failures and the job's own log says how it went.
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        job.delay(*args, requested_by=requested_by.pk)
        return JobRun(queued=True)
    return JobRun(queued=False, outcome=job.run(*args, requested_by=requested_by.pk))
