"""Pre-label acceptance: how often annotators kept the model's label, and what QA said, per model version and class."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from projects.access.roles import PROJECT_MANAGER, QA_REVIEWER, VENDOR_MANAGER
from projects.evaluation.prelabel import PrelabelRow, prelabel_acceptance, prelabel_rows
from projects.models import Review
from projects.quality.stats.intervals import wilson_interval
from tests.factories import (
    AnnotationFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    member_of,
)


def scenario(label: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [label]}}]


def figures(share) -> tuple[int, int]:
    return share.successes, share.trials


def test_acceptance_figures_per_model_version_and_class_by_hand():
    rows = [
        PrelabelRow("v1", "scenario", "refund", "refund", "accept"),  # kept, QA agrees: model right
        PrelabelRow("v1", "scenario", "refund", "refund", "reject"),  # kept, QA rejects: model wrong
        PrelabelRow("v1", "scenario", "refund", "refund", None),  # kept, not reviewed
        PrelabelRow("v1", "scenario", "refund", "damaged", "accept"),  # changed rightly: model wrong
        PrelabelRow("v1", "scenario", "refund", "damaged", "correct", "refund"),  # changed wrongly: model right
        PrelabelRow("v1", "scenario", "refund", "not_received", "reject"),  # changed, right label unknown
        PrelabelRow("v1", "scenario", "damaged", "damaged", "accept"),
        PrelabelRow("v2", "scenario", "refund", "refund", None),
    ]

    first, second = prelabel_acceptance(rows)

    assert (first.model_version, second.model_version) == ("v1", "v2")
    damaged, refund = first.classes
    assert (refund.predicted, refund.seen) == ("refund", 6)
    assert figures(refund.kept) == (3, 6)
    assert figures(refund.kept_accepted) == (1, 2)
    assert figures(refund.changed_accepted) == (1, 3)
    assert figures(refund.machine_quality) == (2, 4)
    assert (refund.kept_accepted.low, refund.kept_accepted.high) == wilson_interval(1, 2)
    assert refund.kept_accepted.value == 0.5
    assert (damaged.predicted, damaged.seen) == ("damaged", 1)
    assert damaged.changed_accepted.value is None and damaged.changed_accepted.low is None
    assert figures(damaged.machine_quality) == (1, 1)
    total = first.total
    assert total.predicted is None and total.seen == 7
    assert [figures(share) for share in total.shares] == [(4, 7), (2, 3), (1, 3), (3, 5)]
    assert second.total.seen == 1 and second.total.kept_accepted.value is None


@pytest.fixture
def project():
    project = LabelingProjectFactory(slug="prelabel-triage")
    reviewer = UserFactory(username="qa")
    wrong_scenario = ErrorCategoryFactory(project=project)

    def task(number: int, predicted: str, model_version: str = "bot-2") -> object:
        return TaskFactory(
            project=project,
            external_id=f"conv-{number}",
            predictions=[{"model_version": model_version, "score": 0.8, "result": scenario(predicted)}],
        )

    def review(annotation, verdict: str, corrected: str | None = None) -> None:
        Review.objects.create(
            annotation=annotation,
            reviewer=reviewer,
            verdict=verdict,
            error_category=wrong_scenario if verdict != Review.Verdict.ACCEPT else None,
            corrected_result=scenario(corrected) if corrected else None,
        )

    kept_accepted = AnnotationFactory(task=task(1, "refund"), result=scenario("refund"))
    review(kept_accepted, Review.Verdict.REJECT)
    review(kept_accepted, Review.Verdict.ACCEPT)  # the latest verdict counts
    kept_rejected = AnnotationFactory(task=task(2, "refund"), result=scenario("refund"))
    review(kept_rejected, Review.Verdict.REJECT)
    AnnotationFactory(task=task(3, "refund"), result=scenario("refund"))  # kept, not reviewed
    changed_rightly = AnnotationFactory(task=task(4, "refund"), result=scenario("damaged"))
    review(changed_rightly, Review.Verdict.ACCEPT)
    changed_wrongly = AnnotationFactory(task=task(5, "refund"), result=scenario("damaged"))
    review(changed_wrongly, Review.Verdict.CORRECT, corrected="refund")
    AnnotationFactory(task=task(6, "damaged", model_version="bot-1"), result=scenario("damaged"))
    # Left out: a task without predictions, a deleted and a cancelled annotation.
    AnnotationFactory(task=TaskFactory(project=project), result=scenario("refund"))
    AnnotationFactory(task=task(7, "refund"), result=scenario("damaged"), is_deleted=True)
    AnnotationFactory(task=task(8, "refund"), result=[], was_cancelled=True)
    return project


@pytest.mark.django_db
def test_project_figures_come_from_predictions_annotations_and_latest_reviews_in_two_queries(
    project, django_assert_num_queries
):
    with django_assert_num_queries(2):
        rows = prelabel_rows(project)

    older, newer = prelabel_acceptance(rows)

    assert (older.model_version, older.total.seen, older.total.kept.value) == ("bot-1", 1, 1.0)
    assert (newer.model_version, newer.control) == ("bot-2", "scenario")
    (refund,) = newer.classes
    assert refund.seen == 5
    assert figures(refund.kept) == (3, 5)
    assert figures(refund.kept_accepted) == (1, 2)
    assert figures(refund.changed_accepted) == (1, 2)
    assert figures(refund.machine_quality) == (2, 4)


@pytest.mark.django_db
def test_the_command_prints_the_table(project, capsys):
    call_command("prelabel_acceptance", "prelabel-triage")

    output = capsys.readouterr().out
    assert "model version bot-2, control scenario" in output
    assert "refund | 5 | 60% (3/5" in output


@pytest.mark.django_db
@pytest.mark.parametrize("role", [PROJECT_MANAGER, QA_REVIEWER])
def test_internal_roles_read_the_prelabel_page(client, project, role):
    client.force_login(member_of(role, is_staff=True))

    response = client.get(reverse("admin:projects_evaluationrun_prelabel", args=[project.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-model-version="bot-2" data-control="scenario"' in page
    assert 'data-model-version="bot-1"' in page
    assert "0.600 (3/5;" in page


@pytest.mark.django_db
def test_a_vendor_manager_cannot_reach_the_prelabel_page(client, project):
    client.force_login(member_of(VENDOR_MANAGER, is_staff=True))

    response = client.get(reverse("admin:projects_evaluationrun_prelabel", args=[project.pk]))

    assert response.status_code in (302, 403, 404)
    assert "prelabel-table" not in response.content.decode()
