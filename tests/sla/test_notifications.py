"""SLA e-mails name each figure for what it counts: labels counted toward the target are not "accepted" labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from projects.languages import remember_language
from projects.models import Batch, SlaEvent, SlaState
from projects.sla.figures import measure_batch
from projects.sla.notifications import send_sla_notifications
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
    VendorManagerFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_risk_event() -> SlaEvent:
    """A batch of 5 tasks (overlap 1): 3 labeled once, one of them twice more, one skipped; then an at-risk event."""
    manager = UserFactory(username="pm", email="pm@annotate.example")
    project = LabelingProjectFactory(created_by=manager, overlap=1)
    vendor = VendorFactory(name="Lingua Works")
    VendorManagerFactory(vendor=vendor, user=UserFactory(username="vm", email="vm@lingua.example"))
    first, second = AnnotatorFactory(vendor=vendor), AnnotatorFactory(vendor=vendor)
    batch = BatchFactory(project=project, vendor=vendor, target_count=5, status=Batch.Status.IN_PROGRESS)
    tasks = [TaskFactory(project=project, batch=batch, external_id=f"conv-{number}") for number in range(5)]
    for task in tasks[:3]:
        AnnotationFactory(task=task, annotator=first)
    AnnotationFactory(task=tasks[0], annotator=second)  # beyond the overlap: not counted again
    AnnotationFactory(task=tasks[3], annotator=second, was_cancelled=True)  # a skip counts for nothing
    figures = measure_batch(batch=batch, now=timezone.now() + dt.timedelta(hours=1), with_agreement=False)
    return SlaEvent.objects.create(
        batch=batch,
        vendor=vendor,
        from_state=SlaState.ON_TRACK,
        to_state=SlaState.AT_RISK,
        figures=figures.as_json(),
        reasons=[{"figure": "forecast", "message": "The forecast completion misses the due date."}],
    )


def test_the_email_says_how_many_labels_count_toward_the_target_not_how_many_were_accepted(at_risk_event):
    assert send_sla_notifications() == (1, 0)

    (message,) = mail.outbox
    assert message.to == ["pm@annotate.example", "vm@lingua.example"]
    assert "- labels counted toward the target: 3 of 5 (2 to go)" in message.body.splitlines()
    assert "accepted" not in message.body.lower()
    assert "The forecast completion misses the due date." in message.body


def test_stored_figures_name_the_labels_counted(at_risk_event):
    assert at_risk_event.figures["labels_counted"] == 3
    assert "labels_accepted" not in at_risk_event.figures


def test_a_vendor_manager_who_chose_chinese_reads_the_email_in_chinese_and_in_their_vendors_time(at_risk_event):
    vendor = at_risk_event.vendor
    vendor.time_zone = "Asia/Shanghai"
    vendor.save()
    vendor_manager = vendor.managers.get().user
    remember_language(vendor_manager, "zh-hans")
    at_risk_event.created_at = dt.datetime(2026, 12, 4, 16, 30, tzinfo=dt.UTC)
    at_risk_event.reasons = [
        {"figure": "turnaround_hours", "verdict": "breached", "value": 30.5, "threshold": 24, "message": "turnaround"}
    ]
    at_risk_event.save()

    assert send_sla_notifications() == (1, 0)

    english, chinese = mail.outbox
    assert english.to == ["pm@annotate.example"]
    assert english.subject.startswith("[annotate] SLA at risk: ")
    assert "at 2026-12-04 16:30 UTC." in english.body
    assert chinese.to == ["vm@lingua.example"]
    assert chinese.subject.startswith("[annotate] 服务水平有风险：")
    assert "时间：2026-12-05 00:30 CST。" in chinese.body
    assert "- 周转时间 30.5 小时，超过上限 24 小时" in chinese.body
    assert "- 计入目标的标注：3 / 5（还差 2 条）" in chinese.body
    # Both recorded on the event, once each.
    at_risk_event.refresh_from_db()
    assert at_risk_event.recipients == ["pm@annotate.example", "vm@lingua.example"]
