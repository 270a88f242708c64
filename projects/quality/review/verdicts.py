"""The quality writes a person makes: review verdicts on sampled annotations, adjudications of disputed
items (and revisions of them), and batch decisions from a QA sample's verdicts; each atomic, with its actor in
the audit log. The reads the review pages show are in `pages` and `queries`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from projects.audit import Actor, records_actor
from projects.errors import Refusal
from projects.labeling.label_config import cached_label_config, result_errors
from projects.models import (
    Adjudication,
    Annotation,
    Batch,
    BatchDecision,
    ErrorCategory,
    ItemConsensus,
    QASample,
    QASampleItem,
    Review,
    Task,
)
from projects.quality.controls import AGGREGATED_TYPES, project_controls
from projects.quality.review.queries import current_adjudication, sample_verdicts
from projects.quality.sampling.queries import current_sample
from projects.quality.stats.acceptance import accepts
from projects.quality.stats.comparison import LabelType
from projects.quality.stats.intervals import wilson_interval

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class QualityRefused(Refusal):
    """A quality action that cannot be done as asked; the message says why, for the person who asked."""


class ReviewRefused(QualityRefused):
    pass


class AdjudicationRefused(QualityRefused):
    pass


class DecisionRefused(QualityRefused):
    pass


@records_actor
def record_review(
    *,
    annotation: Annotation,
    actor: Actor,
    verdict: str,
    error_category: ErrorCategory | None = None,
    severity: str | None = None,
    comment: str = "",
    corrected_result: list[dict] | None = None,
    sample_item: QASampleItem | None = None,
) -> Review:
    """Record a reviewer's verdict on an annotation and mark its QA sample item reviewed; atomic.

    A rejection needs an active error category of the annotation's project and a severity; a correction
    needs a corrected result valid under the project's label config. Nobody reviews their own annotation.
    A later review of the same annotation supersedes the earlier one in the batch decision. The
    reviewer is the actor's person: annotate itself reviews nothing.
    """
    reviewer = _person(actor, ReviewRefused, "review an annotation")
    _check_review(annotation, reviewer, verdict, error_category, corrected_result)
    sample_item = _sample_item_of(annotation, sample_item)
    review = Review(
        annotation=annotation,
        sample_item=sample_item,
        reviewer=reviewer,
        verdict=verdict,
        error_category=error_category,
        severity=severity or None,
        comment=comment,
        corrected_result=corrected_result,
    )
    try:
        review.full_clean()
    except ValidationError as error:
        raise ReviewRefused(
            " ".join(message for messages in error.message_dict.values() for message in messages)
        ) from error

    with transaction.atomic():
        review.save()
        if sample_item is not None and sample_item.status != QASampleItem.Status.REVIEWED:
            sample_item.status = QASampleItem.Status.REVIEWED
            sample_item.save(update_fields=["status"])
    return review


def _check_review(
    annotation: Annotation,
    reviewer: AbstractBaseUser,
    verdict: str,
    error_category: ErrorCategory | None,
    corrected_result: list[dict] | None,
) -> None:
    """Refuse a review of one's own annotation, a category not of the project, a correction the config rejects."""
    project = annotation.task.project
    if annotation.annotator_id and annotation.annotator.user_id == reviewer.pk:
        raise ReviewRefused(gettext("Reviewers cannot review their own annotations."))
    if error_category is not None and (error_category.project_id != project.pk or not error_category.active):
        raise ReviewRefused(f'"{error_category}" is not an active error category of {project}.')
    if verdict == Review.Verdict.CORRECT and corrected_result is not None:
        problems = result_errors(cached_label_config(project.label_config), corrected_result)
        if problems:
            raise ReviewRefused("The corrected label does not fit the label config: " + "; ".join(problems))


def _sample_item_of(annotation: Annotation, sample_item: QASampleItem | None) -> QASampleItem | None:
    """The QA sample item the review answers: the one named, else the annotation's latest pending one."""
    if sample_item is None:
        return (
            QASampleItem.objects.filter(annotation=annotation, status=QASampleItem.Status.PENDING)
            .order_by("-sample__drawn_at", "-id")
            .first()
        )
    if sample_item.annotation_id != annotation.pk:
        raise ReviewRefused("The QA sample item is about another annotation.")
    return sample_item


@records_actor
def adjudicate(
    *,
    task: Task,
    control_name: str,
    label: object,
    actor: Actor,
    comment: str = "",
    revises: Adjudication | None = None,
) -> Adjudication:
    """Settle one control of a task, or revise its final label: store the adjudication and make it the item's
    consensus; atomic, and in the audit log with its actor.

    The label must be one the control allows (a choice, a set of choices, a rating on the scale). A revision
    names the adjudication it revises, which must be the item's current one (refused when someone revised it
    meanwhile), changes the label and says why; the earlier adjudications stay, each linked to the next.
    The adjudicator is the actor's person.
    """
    adjudicator = _person(actor, AdjudicationRefused, "settle a label")
    stored_label = _allowed_label(task, control_name, label)
    current = current_adjudication(task=task, control_name=control_name)
    _check_revision(task, control_name, current, revises, stored_label, comment)

    try:
        with transaction.atomic():
            adjudication = Adjudication(
                task=task,
                control_name=control_name,
                label=stored_label,
                adjudicator=adjudicator,
                comment=comment,
                revises=current,
            )
            adjudication.save()
            ItemConsensus.objects.update_or_create(
                task=task,
                control_name=control_name,
                defaults={
                    "method": ItemConsensus.Method.ADJUDICATION,
                    "label": stored_label,
                    "confidence": 1.0,
                    "needs_adjudication": False,
                },
            )
    except IntegrityError as error:  # another adjudication of the item was stored meanwhile
        raise AdjudicationRefused(
            f"{control_name} of {task.external_id} was adjudicated by someone else meanwhile: look again."
        ) from error
    return adjudication


def _allowed_label(task: Task, control_name: str, label: object) -> object:
    """The label as stored (a choice, sorted choices, a rating), refused unless the control allows it."""
    control = project_controls(task.project).get(control_name)
    if control is None or control.kind not in AGGREGATED_TYPES:
        raise AdjudicationRefused(f'"{control_name}" is not a choice or rating control of {task.project}.')
    chosen = label if isinstance(label, list) else [label]
    if control.kind is LabelType.SINGLE_CHOICE and (len(chosen) != 1 or chosen[0] not in control.options):
        raise AdjudicationRefused(f"{control_name} takes one of {', '.join(control.options)}, not {label!r}.")
    if control.kind is LabelType.MULTIPLE_CHOICE and not set(chosen) <= set(control.options):
        raise AdjudicationRefused(f"{control_name} takes choices among {', '.join(control.options)}, not {label!r}.")
    if control.kind is LabelType.RATING and not (
        isinstance(label, int | float) and not isinstance(label, bool) and 1 <= label <= control.max_rating
    ):
        raise AdjudicationRefused(f"{control_name} takes a rating from 1 to {control.max_rating}, not {label!r}.")
    if control.kind is LabelType.SINGLE_CHOICE:
        return chosen[0]
    return sorted(chosen) if control.kind is LabelType.MULTIPLE_CHOICE else label


def _check_revision(
    task: Task,
    control_name: str,
    current: Adjudication | None,
    revises: Adjudication | None,
    label: object,
    comment: str,
) -> None:
    where = f"{control_name} of {task.external_id}"
    if current is None:
        if revises is not None:
            raise AdjudicationRefused(f"{where} has no adjudication to revise.")
        return
    if revises is None or revises.pk != current.pk:
        raise AdjudicationRefused(
            f"{where} was adjudicated meanwhile ({current.label!r} by {current.adjudicator.get_username()}): "
            "look at it again before revising."
        )
    if current.label == label:
        raise AdjudicationRefused(
            gettext("%(item)s is already %(label)s: choose another label to revise it.")
            % {"item": where, "label": repr(label)}
        )
    if not comment.strip():
        raise AdjudicationRefused(
            gettext("Say why you revise %(item)s: the comment is kept with the revision.") % {"item": where}
        )


@records_actor
def decide_batch(*, batch: Batch, actor: Actor, sample: QASample | None = None, comment: str = "") -> BatchDecision:
    """Accept or reject the batch from its QA sample's verdicts; atomic, a new decision on every call.

    Errors are items whose latest review rejected or corrected them. The batch is accepted when the
    Wilson 95% upper bound of the error rate is below the project's acceptable quality level
    (`acceptance.accepts`), and its status becomes accepted or rejected. Refused while the sample has
    unreviewed items. The sample is the batch's current one unless named. The decider is the actor's person.
    The comment is for the vendor, who reads it in the portal with the decision.
    """
    user = _person(actor, DecisionRefused, "decide a batch")
    sample = sample or current_sample(batch=batch)
    if sample is None or sample.batch_id != batch.pk:
        raise DecisionRefused(gettext("%(batch)s has no QA sample yet: draw one first.") % {"batch": batch})
    statuses = list(sample.items.values_list("status", flat=True))
    if not statuses:
        raise DecisionRefused(
            gettext("The QA sample of %(batch)s is empty: there is nothing to decide from.") % {"batch": batch}
        )
    pending = statuses.count(QASampleItem.Status.PENDING)
    if pending:
        raise DecisionRefused(
            gettext("%(pending)s of %(total)s sampled annotations of %(batch)s are not reviewed yet.")
            % {"pending": pending, "total": len(statuses), "batch": batch}
        )
    errors = sum(
        verdict in (Review.Verdict.REJECT, Review.Verdict.CORRECT) for verdict in sample_verdicts(sample=sample)
    )
    size = len(statuses)
    _, upper = wilson_interval(errors, size)
    aql = batch.project.acceptable_quality_level
    accepted = accepts(errors, size, float(aql))

    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        decision = BatchDecision.objects.create(
            batch=locked,
            sample=sample,
            decided_by=user,
            sample_size=size,
            errors=errors,
            error_rate=errors / size,
            upper_bound=upper,
            aql=aql,
            accepted=accepted,
            comment=comment.strip(),
        )
        locked.status = Batch.Status.ACCEPTED if accepted else Batch.Status.REJECTED
        locked.save(update_fields=["status"])
        batch.status = locked.status
    return decision


def _person(actor: Actor, refusal: type[QualityRefused], what: str) -> AbstractBaseUser:
    if actor.user is None:
        raise refusal(f"Only a person can {what}; {actor.name} cannot.")
    return actor.user
