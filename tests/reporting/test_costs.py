"""Costs per batch and vendor, checked by hand: per-task and per-hour rates, rate changes, rework, unpriced labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from projects.models import LabelStudioConnection, LabelStudioProject, ProjectConfigVersion, Review, Rework
from projects.reporting.costs import MixedCurrencies, batch_costs, vendor_costs
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
    VendorRateFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
JANUARY = dt.datetime(2026, 1, 1, tzinfo=UTC)
FEBRUARY = dt.datetime(2026, 2, 1, tzinfo=UTC)


def label(batch, annotator, *, at: dt.datetime, seconds: float | None = None, **fields):
    task = TaskFactory(project=batch.project, batch=batch)
    return AnnotationFactory(task=task, annotator=annotator, created_at=at, updated_at=at, lead_time=seconds, **fields)


def send_to_rework(annotation, replacement=None):
    project = annotation.task.project
    connection, _ = LabelStudioConnection.objects.get_or_create(
        vendor=annotation.annotator.vendor,
        defaults={"name": f"ls-{annotation.annotator.vendor_id}", "url": "http://127.0.0.1:9"},
    )
    version = ProjectConfigVersion.objects.filter(project=project).first() or ProjectConfigVersion.objects.create(
        project=project, number=1, label_config=project.label_config, content_hash="x"
    )
    rework_project, _ = LabelStudioProject.objects.get_or_create(
        batch=annotation.task.batch,
        connection=connection,
        kind=LabelStudioProject.Kind.REWORK,
        defaults={"label_studio_id": 1000 + annotation.task.batch_id, "config_version": version},
    )
    review = Review.objects.create(
        annotation=annotation,
        reviewer=UserFactory(),
        verdict=Review.Verdict.REJECT,
        error_category=ErrorCategoryFactory(project=project),
        severity=Review.Severity.MAJOR,
    )
    return Rework.objects.create(
        annotation=annotation,
        review=review,
        label_studio_project=rework_project,
        label_studio_task_id=annotation.pk,
        replacement=replacement,
    )


def test_per_task_rates_pay_kept_labels_at_the_rate_in_force_when_each_was_made():
    vendor = VendorFactory(name="Acme")
    annotator = AnnotatorFactory(vendor=vendor)
    batch = BatchFactory(vendor=vendor)
    VendorRateFactory(vendor=vendor, unit="per_task", amount="0.50", valid_from=JANUARY)
    VendorRateFactory(vendor=vendor, unit="per_task", amount="0.80", valid_from=FEBRUARY)
    for _ in range(3):
        label(batch, annotator, at=JANUARY + dt.timedelta(days=3))  # 3 × 0.50
    for _ in range(2):
        label(batch, annotator, at=FEBRUARY + dt.timedelta(days=3))  # 2 × 0.80
    rejected = label(batch, annotator, at=FEBRUARY + dt.timedelta(days=4))  # not paid
    redone = AnnotationFactory(
        task=rejected.task, annotator=annotator, created_at=FEBRUARY + dt.timedelta(days=6), updated_at=FEBRUARY
    )  # paid 0.80, and it is the rework
    send_to_rework(rejected, replacement=redone)

    [cost] = batch_costs(batch=batch)

    assert (cost.vendor_name, cost.currency) == ("Acme", "USD")
    assert (cost.labels, cost.kept_labels, cost.sent_back_labels, cost.rework_labels) == (7, 6, 1, 1)
    assert cost.total_cost == Decimal("3.90")  # 1.50 + 1.60 + 0.80
    assert cost.rework_cost == Decimal("0.80")
    assert cost.cost_per_kept_label == Decimal("0.65")  # 3.90 / 6
    assert cost.unpriced_labels == 0


def test_per_hour_rates_pay_every_labels_lead_time_rejected_ones_included():
    vendor = VendorFactory(name="Hourly")
    annotator = AnnotatorFactory(vendor=vendor)
    batch = BatchFactory(vendor=vendor)
    VendorRateFactory(vendor=vendor, unit="per_hour", amount="12.00", currency="CNY", valid_from=JANUARY)
    label(batch, annotator, at=FEBRUARY, seconds=1800)  # 0.5 h
    label(batch, annotator, at=FEBRUARY, seconds=900)  # 0.25 h
    rejected = label(batch, annotator, at=FEBRUARY, seconds=900)  # 0.25 h, paid though rejected
    redone = AnnotationFactory(task=rejected.task, annotator=annotator, created_at=FEBRUARY, lead_time=600)  # 1/6 h
    send_to_rework(rejected, replacement=redone)
    label(batch, annotator, at=FEBRUARY, seconds=None)  # no lead time reported: no hours

    [cost] = batch_costs(batch=batch)

    assert cost.currency == "CNY"
    assert cost.hours == Decimal("1.17")  # 0.5 + 0.25 + 0.25 + 0.1667
    assert cost.total_cost == Decimal("14.00")  # 1.1667 h × 12
    assert cost.rework_cost == Decimal("2.00")  # 600 s × 12 / h
    assert cost.kept_labels == 4
    assert cost.cost_per_kept_label == Decimal("3.50")


def test_labels_made_before_the_first_rate_are_unpriced_not_free():
    vendor = VendorFactory()
    annotator = AnnotatorFactory(vendor=vendor)
    batch = BatchFactory(vendor=vendor)
    VendorRateFactory(vendor=vendor, amount="1.00", valid_from=FEBRUARY)
    label(batch, annotator, at=JANUARY)
    label(batch, annotator, at=FEBRUARY)

    [cost] = batch_costs(batch=batch)

    assert (cost.unpriced_labels, cost.total_cost) == (1, Decimal("1.00"))


def test_vendor_costs_sum_a_projects_batches_per_vendor_and_leave_out_deleted_and_skipped_labels():
    project = LabelingProjectFactory()
    acme, rival = VendorFactory(name="Acme"), VendorFactory(name="Rival")
    VendorRateFactory(vendor=acme, amount="0.50", valid_from=JANUARY)
    VendorRateFactory(vendor=rival, amount="2.00", valid_from=JANUARY)
    acme_annotator, rival_annotator = AnnotatorFactory(vendor=acme), AnnotatorFactory(vendor=rival)
    first, second = BatchFactory(project=project, vendor=acme), BatchFactory(project=project, vendor=rival)
    label(first, acme_annotator, at=FEBRUARY)
    label(second, acme_annotator, at=FEBRUARY)
    label(second, rival_annotator, at=FEBRUARY)
    label(second, rival_annotator, at=FEBRUARY, is_deleted=True)
    label(second, rival_annotator, at=FEBRUARY, was_cancelled=True)
    label(BatchFactory(vendor=acme), acme_annotator, at=FEBRUARY)  # another project

    costs = vendor_costs(project=project)

    assert [(cost.vendor_name, cost.labels, cost.total_cost) for cost in costs] == [
        ("Acme", 2, Decimal("1.00")),
        ("Rival", 1, Decimal("2.00")),
    ]


def test_rates_in_two_currencies_are_not_summed():
    vendor = VendorFactory(name="Acme")
    batch = BatchFactory(vendor=vendor)
    VendorRateFactory(vendor=vendor, currency="USD", valid_from=JANUARY)
    VendorRateFactory(vendor=vendor, currency="CNY", valid_from=FEBRUARY)
    label(batch, AnnotatorFactory(vendor=vendor), at=FEBRUARY)

    with pytest.raises(MixedCurrencies, match="Acme has rates in CNY, USD"):
        batch_costs(batch=batch)
