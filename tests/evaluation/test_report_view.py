"""The evaluation report in the admin: internal roles read it with its heat map; vendor roles never see it."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from projects.access.roles import ANNOTATOR, PROJECT_MANAGER, QA_REVIEWER, VENDOR_MANAGER
from projects.datasets.builds import build_dataset_version
from projects.evaluation.runs import evaluate_predictions
from projects.models import Batch, ItemConsensus
from tests.actors import actor_for
from tests.factories import LabelingProjectFactory, TaskFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(tmp_path):
    manager = member_of(PROJECT_MANAGER, username="pm", is_staff=True)
    project = LabelingProjectFactory(slug="report-triage")
    lines = []
    for number, (gold, predicted) in enumerate([("refund", "refund"), ("damaged", "refund"), ("damaged", "damaged")]):
        task = TaskFactory(project=project, external_id=f"conv-{number}", data={"message": "m", "reply": "r"})
        ItemConsensus.objects.create(
            task=task, control_name="scenario", method="majority", label=gold, confidence=0.9, ratings=3
        )
        lines.append(json.dumps({"external_id": f"conv-{number}", "prediction": predicted, "score": 0.9}))
    version = build_dataset_version(project=project, actor=actor_for(manager))
    path = tmp_path / "predictions.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    return evaluate_predictions(
        dataset_version=version, control="scenario", predictions_path=path, actor=actor_for(manager), model_name="bot"
    )


@pytest.mark.parametrize("role", [PROJECT_MANAGER, QA_REVIEWER])
def test_internal_roles_read_the_report_with_its_heat_map(client, run, role):
    client.force_login(member_of(role, is_staff=True))

    page = client.get(reverse("admin:projects_evaluationrun_report", args=[run.pk])).content.decode()

    assert 'class="chart heat-map"' in page
    assert 'data-row="damaged" data-column="refund" data-value="1"' in page
    assert "Accuracy per score bin" in page  # the reliability bars: the run has scores
    assert "conv-1" in page and "Per class" in page and "By language" in page
    changelist = client.get(reverse("admin:projects_evaluationrun_changelist")).content.decode()
    assert reverse("admin:projects_evaluationrun_report", args=[run.pk]) in changelist


@pytest.mark.parametrize("role", [VENDOR_MANAGER, ANNOTATOR])
@pytest.mark.parametrize("is_staff", [False, True])
def test_vendor_roles_cannot_reach_the_report(client, run, role, is_staff):
    client.force_login(member_of(role, is_staff=is_staff))

    response = client.get(reverse("admin:projects_evaluationrun_report", args=[run.pk]))

    assert response.status_code in (302, 403, 404)
    assert "heat-map" not in response.content.decode()


def test_a_project_manager_sends_bad_cases_from_the_run_list(client, run):
    client.force_login(member_of(PROJECT_MANAGER, is_staff=True))

    client.post(
        reverse("admin:projects_evaluationrun_changelist"),
        {"action": "send_bad_cases_action", "_selected_action": [run.pk]},
    )

    batch = Batch.objects.get(project=run.dataset_version.project)
    assert batch.tasks.get().external_id == f"conv-1~{run.pk}"


def test_a_qa_reviewer_cannot_send_bad_cases(client, run):
    client.force_login(member_of(QA_REVIEWER, is_staff=True))

    client.post(
        reverse("admin:projects_evaluationrun_changelist"),
        {"action": "send_bad_cases_action", "_selected_action": [run.pk]},
    )

    assert not Batch.objects.exists()
