"""The demo's four earlier weeks, brought in as a Label Studio export: days, hours, people and a slow week."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from statistics import median

import pytest
from django.utils import timezone

from projects.demo.history import HISTORY_WEEKS
from projects.demo.services import build_demo
from projects.models import Annotation, Batch, SlaState, SlaStatus
from projects.sla.monitor import check_slas
from tests.actors import SYSTEM


@pytest.fixture
def demo(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    return build_demo(tasks_per_batch=30).project


def _labels(batch_name: str):
    return Annotation.objects.filter(task__batch__name=batch_name).select_related("annotator__user")


def test_each_earlier_week_has_a_labeled_batch_per_vendor_on_its_own_days(demo):
    earlier = Batch.objects.filter(project=demo, name__regex=r"^2026-W4[3-6] ").order_by("created_at", "name")
    assert [batch.name[:8] for batch in earlier] == [week for week in HISTORY_WEEKS for _ in range(2)]
    assert {batch.status for batch in earlier} == {Batch.Status.DELIVERED}
    labels = Annotation.objects.filter(task__batch__in=earlier)
    assert labels.count() == 8 * 30 * 2 and not labels.filter(connection__isnull=False).exists()
    assert labels.filter(created_at__gte=timezone.now() - dt.timedelta(days=7)).count() == 0
    weekdays = Counter(moment.weekday() for moment in labels.values_list("created_at", flat=True))
    assert min(weekdays[day] for day in range(5)) > 3 * max(weekdays[5], weekdays[6]) > 0  # quiet weekends
    huayu_hours = {moment.hour for moment in _labels("2026-W44 Huayu Data").values_list("created_at", flat=True)}
    assert huayu_hours <= set(range(1, 10))  # 09:00 to 18:00 in Shanghai


def test_the_spammer_joins_in_the_second_week(demo):
    def spammer_labels(week: str) -> int:
        return _labels(f"{week} Huayu Data").filter(annotator__user__username="li.wei").count()

    assert spammer_labels("2026-W43") == 0
    assert spammer_labels("2026-W44") > 0


def test_huayu_data_slows_down_in_the_third_week_and_misses_its_turnaround(demo):
    def lead_times(week: str) -> float:
        return median(_labels(f"{week} Huayu Data").values_list("lead_time", flat=True))

    assert lead_times("2026-W45") > 1.4 * lead_times("2026-W44")
    slow = Batch.objects.get(project=demo, name="2026-W45 Huayu Data")
    assert _labels(slow.name).filter(created_at__gt=slow.due_at).exists()

    check_slas(actor=SYSTEM)

    states = dict(SlaStatus.objects.filter(batch__name__regex=r"^2026-W4[3-6] ").values_list("batch__name", "state"))
    assert states.pop("2026-W45 Huayu Data") == SlaState.BREACHED
    assert set(states.values()) == {SlaState.ON_TRACK}
