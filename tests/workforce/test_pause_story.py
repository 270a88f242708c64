"""The gold gate as a story against the real Label Studio server, on a frozen clock: an annotator fails their
onboarding gold, is paused by the gate after a pull, the PM and vendor manager hear of it once each, the task they
held goes to another annotator, all their labels go to QA, and the PM reinstates them with a comment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core import mail

from projects.access.roles import PROJECT_MANAGER
from projects.audit import Actor
from projects.jobs import pull_annotations_task
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import push_batch
from projects.models import AnnotatorAccount, AnnotatorPause, GoldGatePolicy, LabelStudioProject, PushedTask
from projects.quality.review.queries import review_queue
from projects.quality.sampling.queries import current_sample
from projects.quality.stats.intervals import wilson_interval
from projects.workforce.pauses import reinstate_annotator
from tests.actors import SYSTEM
from tests.factories import LabelingProjectFactory, UserFactory, VendorManagerFactory
from tests.labelstudio.helpers import choice, make_batch
from tests.labelstudio.test_memberships import ADMIN_PASSWORD, PASSWORD, signed_in

pytestmark = pytest.mark.labelstudio

MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
GATE = {"actor": "annotate (gold gate)", "via": "job check_gold_gate"}


@pytest.fixture
def story(vendor_connection, label_studio_server, settings):
    settings.LABEL_STUDIO_ADMIN_PASSWORD = ADMIN_PASSWORD
    pm = UserFactory(username="pm-lin", email="lin@annotate.example", is_staff=True)
    pm.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    VendorManagerFactory(vendor=vendor_connection.vendor, user=UserFactory(email="ops@vendor.example"))
    project = LabelingProjectFactory(overlap=1, created_by=pm)
    GoldGatePolicy.objects.create(
        project=project, onboarding_tasks=6, onboarding_min_gold=4, min_gold_answers=4, accuracy_floor=Decimal("0.7")
    )
    batch = make_batch(vendor_connection, tasks=6, overlap=1, predictions=False, project=project)
    gold = list(batch.tasks.order_by("pk")[:4])
    for task in gold:
        task.is_gold, task.gold_answer = True, [choice("scenario", "refund")]
        task.save(update_fields=["is_gold", "gold_answer"])
    push_batch(batch=batch, actor=SYSTEM)
    return pm, batch


def test_an_annotator_failing_onboarding_gold_is_paused_told_reviewed_and_reinstated(story, label_studio_server):
    pm, batch = story
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    pushed = dict(
        PushedTask.objects.filter(label_studio_project=label_studio_project).values_list(
            "task_id", "label_studio_task_id"
        )
    )
    ordered = [pushed[task] for task in sorted(pushed)]
    spammer, colleague = AnnotatorAccount.objects.filter(connection=label_studio_project.connection).order_by("pk")[:2]
    sessions = {}
    for account in (spammer, colleague):
        label_studio_server.set_password(account.email, PASSWORD)
        sessions[account.pk] = signed_in(label_studio_server.url, account.email)
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    for task in ordered[:5]:  # the four gold tasks, all wrong, and one regular task
        client.create_annotation(
            task, result=[choice("scenario", "damaged")], completed_by=spammer.label_studio_user_id, lead_time=1.0
        )
    held = sessions[spammer.pk].get(f"/api/projects/{label_studio_project.label_studio_id}/next").json()["id"]
    assert sessions[colleague.pk].get(f"/api/projects/{label_studio_project.label_studio_id}/next").status_code == 404

    with time_machine.travel(MONDAY, tick=False):
        pull_annotations_task(label_studio_project.pk)

    pause = AnnotatorPause.objects.get()
    low, high = wilson_interval(0, 4)
    assert (pause.annotator, pause.project, pause.paused_at, pause.rule) == (
        spammer.annotator,
        batch.project,
        MONDAY,
        "gold gate",
    )
    assert pause.reason.startswith(
        f"Paused during onboarding: 0 of 4 gold answers right (Wilson 95% interval {low:.0%} to {high:.0%})."
    )
    assert pause.figures["wilson_high"] == high and pause.figures["floor"] == 0.7
    # the PM and the vendor manager: one e-mail each, with the reason
    assert sorted(message.to[0] for message in mail.outbox) == ["lin@annotate.example", "ops@vendor.example"]
    assert all(len(message.to) == 1 and pause.reason in message.body for message in mail.outbox)
    # the task they held is served to their colleague; they get nothing
    served = sessions[colleague.pk].get(f"/api/projects/{label_studio_project.label_studio_id}/next")
    assert served.json()["id"] == held
    assert sessions[spammer.pk].get(f"/api/projects/{label_studio_project.label_studio_id}/next").status_code == 403
    # all five labels (they never passed) are in the review queue, and no batch decision rests on them
    queued = review_queue(batch=batch)
    assert sorted(item.annotation.label_studio_task_id for item in queued) == sorted(ordered[:5])
    assert {tuple(item.reasons) for item in queued} == {("paused_annotator",)}
    assert pause.labels_sent_to_qa == 5
    assert current_sample(batch=batch) is None

    with time_machine.travel(MONDAY + timedelta(hours=3), tick=False):
        reinstate_annotator(
            pause=pause, comment="Retrained on the refund guideline.", actor=Actor.person(pm, via="admin")
        )

    pause.refresh_from_db()
    assert (pause.reinstated_by, pause.reinstated_at) == (pm, MONDAY + timedelta(hours=3))
    assert sessions[spammer.pk].get(f"/api/projects/{label_studio_project.label_studio_id}/").status_code == 200
    assert len(mail.outbox) == 2
    entries = list(LogEntry.objects.get_for_object(pause).order_by("timestamp", "id"))
    assert [(entry.action, entry.additional_data) for entry in entries] == [
        (LogEntry.Action.CREATE, GATE),
        (LogEntry.Action.UPDATE, GATE),  # Label Studio access and the labels sent to QA
        (LogEntry.Action.UPDATE, {"actor": "pm-lin", "via": "admin"}),
    ]
    assert entries[-1].actor == pm
    assert "Retrained on the refund guideline." in str(entries[-1].changes)
    sample = queued[0].sample
    assert LogEntry.objects.get_for_object(sample).get().additional_data == GATE
