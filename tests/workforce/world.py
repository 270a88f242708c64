"""A project with a gold gate and gold tasks, annotators who answer them, and the people told of a pause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER, VENDOR_MANAGER
from projects.models import Annotator, Batch, GoldGatePolicy, LabelingProject, VendorManager
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
)

START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def scenario(value: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [value]}}]


@dataclass
class GateWorld:
    project: LabelingProject
    batch: Batch
    pm: object
    vendor_manager: object
    careful: Annotator
    careless: Annotator

    def label(self, annotator: Annotator, answers: list[str | None], *, start: datetime = START) -> None:
        """One task each, a minute apart from `start`: a gold task answered with the value, or a regular task
        for None."""
        done = annotator.annotations.count()
        for offset, answer in enumerate(answers):
            number = done + offset
            task = TaskFactory(
                project=self.project,
                batch=self.batch,
                external_id=f"{annotator.pk}-{number}",
                is_gold=answer is not None,
                gold_answer=scenario("refund") if answer is not None else None,
            )
            moment = start + timedelta(minutes=number)
            AnnotationFactory(
                task=task,
                annotator=annotator,
                result=scenario(answer or "damaged"),
                created_at=moment,
                updated_at=moment,
            )


def gate_world(*, vendor_manager_may_reinstate: bool = False) -> GateWorld:
    pm = UserFactory(username="pm-lin", email="lin@annotate.example", is_staff=True)
    pm.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    project = LabelingProjectFactory(created_by=pm)
    GoldGatePolicy.objects.create(
        project=project,
        onboarding_tasks=6,
        onboarding_min_gold=4,
        min_gold_answers=4,
        accuracy_floor=Decimal("0.7"),
        vendor_manager_may_reinstate=vendor_manager_may_reinstate,
    )
    vendor = VendorFactory(time_zone="Asia/Shanghai")
    manager = UserFactory(username="ops-wang", email="ops@vendor.example")
    manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=manager, vendor=vendor)
    batch = BatchFactory(project=project, vendor=vendor)
    careful = AnnotatorFactory(vendor=vendor, user=UserFactory(username="careful"))
    careless = AnnotatorFactory(vendor=vendor, user=UserFactory(username="careless"))
    return GateWorld(project, batch, pm, manager, careful, careless)
