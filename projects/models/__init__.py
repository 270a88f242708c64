"""annotate's models, one module per domain, re-exported here."""

from __future__ import annotations

from projects.models.connections import LabelStudioConnection
from projects.models.labeling import (
    Annotation,
    AnnotationVersion,
    Batch,
    LabelingProject,
    Task,
    TaskImport,
)
from projects.models.workforce import Annotator, Vendor

__all__ = [
    "Annotation",
    "AnnotationVersion",
    "Annotator",
    "Batch",
    "LabelStudioConnection",
    "LabelingProject",
    "Task",
    "TaskImport",
    "Vendor",
]
