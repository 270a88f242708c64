"""Pausing an annotator and reinstating them: the two writes behind every gold gate decision.

On Label Studio Community a pause is what the server can enforce (projects/labelstudio/memberships.py): the
annotator's membership of each server that serves the project is removed, so their token and browser session
open nothing and their task locks are released (their unfinished tasks go back to the queue). A membership is
per server, so the pause holds on every project of that server, not only this one.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from projects.access.roles import PROJECT_MANAGER, role_of
from projects.audit import Actor, records_actor
from projects.errors import InputRefused, Refusal
from projects.labelstudio.client import LabelStudioError
from projects.labelstudio.memberships import AccessChange, restore_access, revoke_access
from projects.models import (
    Annotation,
    Annotator,
    AnnotatorAccount,
    AnnotatorPause,
    GoldGatePolicy,
    LabelingProject,
    QASample,
    QASampleItem,
)
from projects.workforce.notifications import send_pause_notices

logger = logging.getLogger(__name__)

SENT_IN_FULL = "paused_annotator"


def accounts_serving(annotator: Annotator, project: LabelingProject) -> list[AnnotatorAccount]:
    """The annotator's accounts on the servers the project's batches were pushed to."""
    return list(
        AnnotatorAccount.objects.filter(annotator=annotator, connection__projects__batch__project=project)
        .select_related("connection")
        .distinct()
        .order_by("pk")
    )


@records_actor
def pause_annotator(
    *,
    annotator: Annotator,
    project: LabelingProject,
    reason: str,
    actor: Actor,
    rule: str = "person",
    figures: dict | None = None,
    labels_since: datetime | None = None,
) -> AnnotatorPause:
    """Stop the annotator labeling the project: Label Studio access removed, their labels since `labels_since`
    (all, when None) sent to QA in full, the PM and vendor managers e-mailed once each, all recorded.

    Refused when the annotator is already paused on the project. A server that cannot be reached is recorded on
    the pause (its detail says so) and does not undo the rest.
    """
    if not reason.strip():
        raise InputRefused("A pause needs a reason the vendor manager can read.")
    with transaction.atomic():
        if AnnotatorPause.objects.select_for_update().filter(annotator=annotator, project=project, reinstated_at=None):
            raise Refusal(f"{annotator} is already paused on {project}; reinstate them first.")
        with actor.recorded():
            pause = AnnotatorPause.objects.create(
                annotator=annotator,
                project=project,
                rule=rule,
                reason=reason.strip(),
                figures=figures or {},
                paused_at=timezone.now(),
                paused_by=str(actor),
                labels_since=labels_since,
            )
    changes = [_changed(revoke_access, account) for account in accounts_serving(annotator, project)]
    with transaction.atomic(), actor.recorded():
        pause.label_studio = [change.as_record() for change in changes]
        pause.labels_sent_to_qa = _send_to_qa(pause, actor)
        pause.save(update_fields=["label_studio", "labels_sent_to_qa"])
    send_pause_notices(pause)
    return pause


def _changed(change, account: AnnotatorAccount) -> AccessChange:
    try:
        return change(account)
    except LabelStudioError as failure:
        logger.warning("Label Studio access of %s not changed: %s", account, failure)
        return AccessChange(account.connection.name, account.label_studio_user_id, False, str(failure))


def _send_to_qa(pause: AnnotatorPause, actor: Actor) -> int:
    """Every live label of the annotator in the project since the pause's point, one QA sample per batch; the
    samples' seeds are negative (-pause id), so none becomes the sample a batch is decided on."""
    annotations = Annotation.objects.filter(
        annotator=pause.annotator, task__project=pause.project, is_deleted=False, task__batch__isnull=False
    )
    if pause.labels_since is not None:
        annotations = annotations.filter(created_at__gt=pause.labels_since)
    by_batch: dict[int, list[int]] = {}
    for annotation, batch in annotations.order_by("id").values_list("id", "task__batch_id"):
        by_batch.setdefault(batch, []).append(annotation)
    for batch, ids in by_batch.items():
        sample, _ = QASample.objects.get_or_create(
            batch_id=batch,
            seed=-pause.pk,
            defaults={"drawn_by": actor.user, "settings": {"sent_in_full": SENT_IN_FULL, "pause": pause.pk}},
        )
        QASampleItem.objects.bulk_create(
            [QASampleItem(sample=sample, annotation_id=annotation, reasons=[SENT_IN_FULL]) for annotation in ids],
            ignore_conflicts=True,
        )
    return sum(len(ids) for ids in by_batch.values())


def may_reinstate(user, pause: AnnotatorPause) -> bool:
    """A project manager may; the annotator's vendor manager too when the project's gold gate allows it."""
    if role_of(user) == PROJECT_MANAGER:
        return True
    policy = GoldGatePolicy.objects.filter(project=pause.project).first()
    manager = getattr(user, "vendor_manager", None)
    return bool(
        policy and policy.vendor_manager_may_reinstate and manager and manager.vendor_id == pause.annotator.vendor_id
    )


@records_actor
def reinstate_annotator(*, pause: AnnotatorPause, comment: str, actor: Actor) -> AnnotatorPause:
    """Give the annotator their Label Studio access back and close the pause with the person's comment.

    Refused without a comment, for a pause already closed, and for anyone but a project manager (or the vendor's
    manager, when the project allows). The gold gate judges the annotator afresh on gold answered from now on.
    """
    if actor.user is None or not may_reinstate(actor.user, pause):
        raise Refusal("Only a project manager (or the vendor's manager, if the project allows it) may reinstate.")
    if not comment.strip():
        raise InputRefused("Say why the annotator may label again: a reinstatement needs a comment.")
    with transaction.atomic():
        pause = AnnotatorPause.objects.select_for_update().get(pk=pause.pk)
        if not pause.is_open:
            raise Refusal(f"{pause.annotator} was reinstated already, on {pause.reinstated_at:%Y-%m-%d %H:%M}.")
    revoked = {
        (change["connection"], change["label_studio_user_id"]) for change in pause.label_studio if change["done"]
    }
    accounts = [
        account
        for account in accounts_serving(pause.annotator, pause.project)
        if (account.connection.name, account.label_studio_user_id) in revoked
    ]
    restored = [_changed(restore_access, account).as_record() for account in accounts]
    with transaction.atomic(), actor.recorded():
        pause.reinstated_at = timezone.now()
        pause.reinstated_by = actor.user
        pause.reinstatement_comment = comment.strip()
        pause.label_studio = [*pause.label_studio, *({**change, "reinstated": True} for change in restored)]
        pause.save(update_fields=["reinstated_at", "reinstated_by", "reinstatement_comment", "label_studio"])
    return pause
