"""Keeping what the dashboards read current: stale batches recounted, then their projects' anomaly flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from projects.models import Batch, LabelingProject
from projects.quality.anomalies.snapshots import compute_flag_snapshot
from projects.reporting.tallies import refresh_stale_tallies


@dataclass(frozen=True)
class Refreshed:
    batches: int
    projects: int


def refresh_dashboards(*, now: dt.datetime | None = None) -> Refreshed:
    """Recount every stale batch, then recompute the anomaly flags of each project that had one; idempotent."""
    now = now or timezone.now()
    batch_ids = refresh_stale_tallies()
    project_ids = set(Batch.objects.filter(pk__in=batch_ids).values_list("project_id", flat=True))
    for project in LabelingProject.objects.filter(pk__in=project_ids):
        compute_flag_snapshot(project=project, now=now)
    return Refreshed(batches=len(batch_ids), projects=len(project_ids))
