"""annotate's models, one module per domain, re-exported here."""

from __future__ import annotations

from projects.models.datasets import DatasetExclusion, DatasetImmutable, DatasetItem, DatasetVersion
from projects.models.evaluation import EvaluationPrediction, EvaluationRun
from projects.models.labeling import (
    Annotation,
    AnnotationVersion,
    Batch,
    LabelingProject,
    Task,
    TaskImport,
)
from projects.models.labelstudio import (
    AnnotatorAccount,
    LabelStudioConnection,
    LabelStudioProject,
    ProjectConfigVersion,
    PushedTask,
    SyncRun,
    WebhookEvent,
)
from projects.models.overlap import OverlapChange, OverlapPolicy
from projects.models.quality import (
    Adjudication,
    BatchDecision,
    ErrorCategory,
    GoldRetirement,
    ItemConsensus,
    QASample,
    QASampleItem,
    Review,
    Rework,
)
from projects.models.sla import SlaEvent, SlaPolicy, SlaState, SlaStatus, VendorRate
from projects.models.tallies import BatchTally, FlagSnapshot, LabelTally
from projects.models.workforce import Annotator, Vendor, VendorManager

__all__ = [
    "Adjudication",
    "Annotation",
    "AnnotationVersion",
    "Annotator",
    "AnnotatorAccount",
    "Batch",
    "BatchDecision",
    "BatchTally",
    "DatasetExclusion",
    "DatasetImmutable",
    "DatasetItem",
    "DatasetVersion",
    "ErrorCategory",
    "EvaluationPrediction",
    "EvaluationRun",
    "FlagSnapshot",
    "GoldRetirement",
    "ItemConsensus",
    "LabelStudioConnection",
    "LabelStudioProject",
    "LabelTally",
    "LabelingProject",
    "OverlapChange",
    "OverlapPolicy",
    "ProjectConfigVersion",
    "PushedTask",
    "QASample",
    "QASampleItem",
    "Review",
    "Rework",
    "SlaEvent",
    "SlaPolicy",
    "SlaState",
    "SlaStatus",
    "SyncRun",
    "Task",
    "TaskImport",
    "Vendor",
    "VendorManager",
    "VendorRate",
    "WebhookEvent",
]
