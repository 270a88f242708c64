"""Admin classes, one module per domain."""

from __future__ import annotations

from django.contrib import admin

from projects.admin import (
    audit_log,
    connections,
    datasets,
    evaluation,
    labeling,
    overlap,
    quality,
    sla,
    sync,
    tasks,
    workforce,
)

admin.site.site_header = "annotate · labeling operations"
admin.site.site_title = "annotate"
admin.site.index_title = "Projects, vendors and Label Studio"

__all__ = [
    "audit_log",
    "connections",
    "datasets",
    "evaluation",
    "labeling",
    "overlap",
    "quality",
    "sla",
    "sync",
    "tasks",
    "workforce",
]
