"""The periodic sync: pull every pushed project and compare its config with annotate's."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.labeling.services import current_config_version
from projects.labelstudio.client import LabelStudioClient, LabelStudioError
from projects.labelstudio.pull import ProgressCallback, PullFailed, pull_annotations
from projects.labelstudio.rework import label_config_for
from projects.models import LabelStudioProject, SyncRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncOutcome:
    label_studio_project: LabelStudioProject
    run: SyncRun | None
    error: str
    drift: str


def pushed_projects(project_slug: str | None = None) -> QuerySet[LabelStudioProject]:
    projects = LabelStudioProject.objects.select_related("batch__project", "connection", "config_version")
    projects = projects.filter(connection__is_active=True)
    if project_slug:
        projects = projects.filter(batch__project__slug=project_slug)
    return projects.order_by("pk")


@records_actor
def sync_all(
    *, actor: Actor, project_slug: str | None = None, full: bool = False, progress_for=None
) -> list[SyncOutcome]:
    """Pull each pushed project (one failing does not stop the others) and record config drift."""
    outcomes = []
    for label_studio_project in pushed_projects(project_slug):
        progress: ProgressCallback | None = progress_for(label_studio_project) if progress_for else None
        try:
            run = pull_annotations(label_studio_project=label_studio_project, actor=actor, full=full, progress=progress)
            error = ""
        except PullFailed as failure:
            run, error = None, str(failure)
        drift = ""
        if not error:
            try:
                drift = check_drift(label_studio_project)
            except LabelStudioError as failure:
                error = str(failure)
        outcomes.append(SyncOutcome(label_studio_project, run, error, drift))
    return outcomes


def _normalized(text: str | None) -> str:
    return "\n".join(line.strip() for line in (text or "").strip().splitlines() if line.strip())


def check_drift(label_studio_project: LabelStudioProject) -> str:
    """Compare the server's label config and instructions with annotate's current version; record the verdict."""
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    live = client.get_project(label_studio_project.label_studio_id)
    current = current_config_version(label_studio_project.batch.project)
    problems = []
    if _normalized(live.get("label_config")) != _normalized(label_config_for(label_studio_project, current)):
        problems.append("label config")
    if _normalized(live.get("expert_instruction")) != _normalized(current.guidelines):
        problems.append("guidelines")
    drift = ""
    if problems:
        edited = label_studio_project.config_version_id == current.pk
        cause = "edited in Label Studio" if edited else f"annotate has v{current.number}"
        drift = f"{' and '.join(problems).capitalize()} differ from annotate's v{current.number} ({cause})."
    label_studio_project.drift = drift
    label_studio_project.drift_checked_at = timezone.now()
    label_studio_project.save(update_fields=["drift", "drift_checked_at"])
    return drift


@records_actor
def push_current_config(label_studio_project: LabelStudioProject, *, actor: Actor) -> None:
    """Put annotate's current label config and guidelines on the server (the drift fix)."""
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    current = current_config_version(label_studio_project.batch.project)
    client.update_project(
        label_studio_project.label_studio_id,
        label_config=label_config_for(label_studio_project, current),
        expert_instruction=current.guidelines,
        show_instruction=bool(current.guidelines),
    )
    label_studio_project.config_version = current
    label_studio_project.drift = ""
    label_studio_project.drift_checked_at = timezone.now()
    label_studio_project.save(update_fields=["config_version", "drift", "drift_checked_at"])
