"""QA samples: planning which annotations of a batch reviewers see, weighing each annotator's gold accuracy,
agreement with the consensus, first tasks and anomaly flags (the pure `sampling` module draws), and storing the
sample drawn for a batch and seed once, its items through COPY on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.database.copy import copy_rows, escape_for_copy
from projects.models import Annotation, Batch, LabelingProject, QASample, QASampleItem
from projects.quality.anomalies.snapshots import current_flags
from projects.quality.consensus.build import BatchAggregation, batch_consensus, consensus_agreement
from projects.quality.controls import AGGREGATED_TYPES, project_controls
from projects.quality.gold.scores import ALL_CONTROLS, GoldScore, score_gold
from projects.quality.loading import load_batch_labels
from projects.quality.stats.acceptance import minimum_sample_size
from projects.quality.stats.anomalies import Flag
from projects.quality.stats.batch_labels import BatchLabels
from projects.quality.stats.sampling import (
    AnnotationColumns,
    AnnotatorFacts,
    Sample,
    SamplingSettings,
    draw_sample_columns,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def sampling_settings(project: LabelingProject) -> SamplingSettings:
    """The project's QA sampling rates, and at least the sample its acceptable quality level can accept from."""
    return SamplingSettings(
        rate=float(project.qa_sample_rate),
        min_per_annotator=project.qa_min_per_annotator,
        first_tasks_in_full=project.qa_first_tasks_in_full,
        minimum_size=minimum_sample_size(float(project.acceptable_quality_level)) or 0,
    )


def _first_task_annotations(batch: Batch, annotators: set[int], first: int) -> set[int]:
    """Annotations among each annotator's first `first` tasks in the project (by creation)."""
    by_annotator = first_tasks_by_annotator(batch.project_id, annotators, first)
    return {annotation for annotations in by_annotator.values() for annotation in annotations}


def first_tasks_by_annotator(project_id: int, annotators: Iterable[int], first: int) -> dict[int, list[int]]:
    # One query per annotator, each a short walk of the (annotator, created_at) index: ranking every
    # annotation of the annotators in one window query sorts their whole history instead.
    if first <= 0:
        return {}
    return {
        annotator: list(
            Annotation.objects.filter(
                task__project_id=project_id, annotator=annotator, is_deleted=False, was_cancelled=False
            )
            .order_by("created_at", "id")
            .values_list("id", flat=True)[:first]
        )
        for annotator in sorted(annotators)
    }


def plan_qa_sample(*, batch: Batch, seed: int, settings: SamplingSettings | None = None) -> Sample:
    """The sample `draw_qa_sample` would draw for this batch and seed, with each annotator's weights.

    Reads only, but for the project's anomaly-flag snapshot, refreshed when it is missing or stale.
    """
    settings = settings or sampling_settings(batch.project)
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in AGGREGATED_TYPES
    }
    labels = load_batch_labels(batch, controls)
    annotators = set(np.unique(labels.annotator).tolist())
    return plan_sample_from_labels(
        seed=seed,
        settings=settings,
        labels=labels,
        aggregation=batch_consensus(batch, labels)[0],
        gold_scores=score_gold(project=batch.project),
        first=_first_task_annotations(batch, annotators, settings.first_tasks_in_full),
        flags=flags_by_annotator(batch.project),
    )


def flags_by_annotator(project: LabelingProject) -> dict[int, list[Flag]]:
    """The project's anomaly flags per flagged annotator, as the dashboard shows them (its current snapshot)."""
    _, flagged = current_flags(project=project, now=timezone.now())
    return {annotator.pk: flags for annotator, flags in flagged}


def plan_sample_from_labels(
    *,
    seed: int,
    settings: SamplingSettings,
    labels: BatchLabels,
    aggregation: BatchAggregation,
    gold_scores: list[GoldScore],
    first: set[int],
    flags: dict[int, list[Flag]],
) -> Sample:
    """`plan_qa_sample` from what the caller has loaded and computed already: the batch's labels, consensus, gold
    scores, first-task annotations and anomaly flags."""
    agreement = consensus_agreement(aggregation, labels)
    gold = {score.annotator: score for score in gold_scores if score.control == ALL_CONTROLS}
    annotator_facts = [
        AnnotatorFacts(
            annotator=annotator,
            gold_accuracy=gold[annotator].accuracy if annotator in gold else None,
            gold_seen=gold[annotator].seen if annotator in gold else 0,
            consensus_agreement=(agreement[annotator][0] / agreement[annotator][1])
            if agreement.get(annotator, (0, 0))[1]
            else None,
            agreement_items=agreement.get(annotator, (0, 0))[1],
            flags=tuple(flags.get(annotator, ())),
        )
        for annotator in np.unique(labels.annotator).tolist()
    ]
    annotations = AnnotationColumns(
        annotation=labels.annotation,
        annotator=labels.annotator,
        lead_time=labels.lead_time,
        is_first_task=np.isin(labels.annotation, np.fromiter(first, dtype=np.int64, count=len(first))),
    )
    return draw_sample_columns(annotations, annotator_facts, settings, seed)


@records_actor
def draw_qa_sample(*, batch: Batch, seed: int, actor: Actor) -> QASample:
    """Draw and store the batch's QA sample; idempotent: the same batch and seed return the sample drawn first.

    Each item records why it was drawn (first tasks, per-annotator minimum, base rate) and its risk signals,
    among them the annotator's anomaly flags as the dashboard shows them.
    Atomic; safe when two people draw the same seed at once.
    """
    existing = QASample.objects.filter(batch=batch, seed=seed).first()
    if existing:
        return existing
    settings = sampling_settings(batch.project)
    return store_qa_sample(batch, seed, actor.user, settings, plan_qa_sample(batch=batch, seed=seed, settings=settings))


def store_qa_sample(
    batch: Batch, seed: int, user: AbstractBaseUser | None, settings: SamplingSettings, plan: Sample
) -> QASample:
    """Store a planned QA sample with its items; atomic, and a sample stored meanwhile for the same seed wins.

    A step of `draw_qa_sample` and `run_quality`, under their actor: `user` is the person recorded as drawing it.
    """
    pending = QASampleItem.Status.PENDING.value

    def store() -> QASample:
        with transaction.atomic():
            sample = QASample.objects.create(
                batch=batch, seed=seed, drawn_by=user, settings={**asdict(settings), "target": plan.target}
            )
            if connection.vendor == "postgresql":
                meta = QASampleItem._meta
                fields = ("sample", "annotation", "reasons", "weight", "status")
                reasons: dict[tuple[str, ...], str] = {}  # few distinct ones
                for item in plan.items:
                    if item.reasons not in reasons:
                        reasons[item.reasons] = escape_for_copy(json.dumps(list(item.reasons)))
                text = "".join(
                    f"{sample.pk}\t{item.annotation}\t{reasons[item.reasons]}\t{item.weight!r}\t{pending}\n"
                    for item in plan.items
                )
                with connection.cursor() as cursor:
                    copy_rows(cursor.cursor, meta.db_table, [meta.get_field(name).column for name in fields], text)
            else:
                QASampleItem.objects.bulk_create(
                    [
                        QASampleItem(
                            sample=sample, annotation_id=item.annotation, reasons=list(item.reasons), weight=item.weight
                        )
                        for item in plan.items
                    ],
                    batch_size=1000,
                )
        return sample

    try:
        return store()
    except IntegrityError:
        return QASample.objects.get(batch=batch, seed=seed)
