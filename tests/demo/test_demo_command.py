"""`manage.py demo` builds a project a newcomer can explore, the same for the same seed."""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model
from django.core.management import call_command

from projects.demo.services import PROJECT_SLUG, build_demo
from projects.models import (
    Annotation,
    Annotator,
    Batch,
    BatchDecision,
    ErrorCategory,
    LabelingProject,
    Review,
    SlaPolicy,
    Task,
    Vendor,
    VendorRate,
)


def _snapshot() -> list[tuple]:
    return list(Task.objects.order_by("external_id").values_list("external_id", "data", "language", "gold_answer"))


def test_demo_builds_two_vendors_six_annotators_batches_and_gold(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    out = io.StringIO()
    call_command("demo", stdout=out)

    project = LabelingProject.objects.get(slug=PROJECT_SLUG)
    assert Vendor.objects.count() == 2
    assert Annotator.objects.count() == 6
    assert set(Annotator.objects.values_list("vendor__slug", flat=True)) == {"lingua-works", "huayu-data"}
    # Last week's and this week's batches, and the four weeks before them brought in as past work.
    assert Batch.objects.filter(project=project).count() == 4 + 8
    assert project.tasks.count() == 720
    assert project.tasks.filter(batch__isnull=True).count() == 0
    assert project.tasks.filter(is_gold=True).exists()
    languages = set(project.tasks.values_list("language", flat=True))
    assert {"en", "zh"} <= languages
    scenarios = {
        region["value"]["choices"][0]
        for answer in project.tasks.filter(is_gold=True).values_list("gold_answer", flat=True)
        for region in answer
        if region["from_name"] == "scenario"
    }
    assert len(scenarios) >= 3
    printed = out.getvalue()
    assert "demo-password-for-tests" in printed
    assert "alice.chen" in printed and "pm " in printed


def test_demo_is_deterministic_for_a_seed_and_varies_between_seeds(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    build_demo(seed=11, tasks_per_batch=20)
    first = _snapshot()
    build_demo(seed=11, tasks_per_batch=20, reset=True)
    assert _snapshot() == first
    build_demo(seed=12, tasks_per_batch=20, reset=True)
    assert _snapshot() != first


def test_demo_run_twice_keeps_the_existing_project(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    build_demo(tasks_per_batch=10)
    result = build_demo(tasks_per_batch=10)
    assert not result.created
    assert Task.objects.count() == 120
    assert VendorRate.objects.count() == 2
    assert SlaPolicy.objects.count() == 1


def test_each_demo_vendor_has_one_rate_in_one_currency_from_before_the_demo(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    result = build_demo(tasks_per_batch=10)

    rates = {rate.vendor.slug: rate for rate in VendorRate.objects.select_related("vendor")}
    assert rates["lingua-works"].unit == VendorRate.Unit.PER_TASK
    assert rates["huayu-data"].unit == VendorRate.Unit.PER_HOUR
    assert all(rate.amount > 0 and rate.valid_from < result.project.created_at for rate in rates.values())
    policy = SlaPolicy.objects.get(project=result.project)
    assert policy.batch is None and policy.vendor is None and policy.min_gold_accuracy is not None


def test_a_demo_built_before_it_had_rates_gains_them_once_on_the_next_run(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    build_demo(tasks_per_batch=10)
    VendorRate.objects.all().delete()
    SlaPolicy.objects.all().delete()

    build_demo(tasks_per_batch=10)
    build_demo(tasks_per_batch=10, reset=True)
    assert VendorRate.objects.count() == 2
    assert SlaPolicy.objects.count() == 1


def test_demo_people_have_their_roles_and_vendor_managers_see_only_their_vendor(db, settings):
    from projects.access.roles import role_of
    from projects.access.scoping import visible

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    build_demo(tasks_per_batch=10)
    users = {user.username: user for user in get_user_model().objects.all()}

    assert role_of(users["pm"]) == "project manager"
    assert role_of(users["qa"]) == "QA reviewer"
    assert role_of(users["alice.chen"]) == "annotator"
    assert role_of(users["mia.ross"]) == "vendor manager"
    assert set(visible(users["mia.ross"], Batch.objects.all()).values_list("vendor__slug", flat=True)) == {
        "lingua-works"
    }
    assert set(visible(users["zhang.lei"], Batch.objects.all()).values_list("vendor__slug", flat=True)) == {
        "huayu-data"
    }


def test_the_demo_without_label_studio_shows_one_batch_accepted_and_one_rejected(db, settings, tmp_path):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", stdout=out)

    project = LabelingProject.objects.get(slug=PROJECT_SLUG)
    decisions = {
        decision.batch.name: decision
        for decision in BatchDecision.objects.filter(batch__project=project).select_related("batch")
    }
    accepted, rejected = decisions["2026-W47 Lingua Works"], decisions["2026-W47 Huayu Data"]
    assert accepted.accepted and accepted.errors == 0 and accepted.sample_size >= 73
    assert not rejected.accepted and rejected.errors > 0
    assert accepted.batch.status == Batch.Status.ACCEPTED and rejected.batch.status == Batch.Status.REJECTED
    # The rejections carry a category of the default taxonomy, as a reviewer would pick it.
    assert set(
        Review.objects.filter(annotation__task__batch=rejected.batch, verdict="reject").values_list(
            "error_category__name", flat=True
        )
    ) == {"Wrong label"}
    assert ErrorCategory.objects.filter(project=project).count() == 5
    printed = out.getvalue()
    assert "2026-W47 Lingua Works: labeled, " in printed and ": accepted." in printed and ": rejected." in printed
    # This week's batches are left for a person to label; a rerun decides nothing twice.
    assert not Annotation.objects.filter(task__batch__name__startswith="2026-W48").exists()
    call_command("demo", stdout=io.StringIO())
    assert BatchDecision.objects.count() == 2
