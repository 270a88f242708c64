"""What a PM does with Label Studio from the admin: push a batch, pull, check a server, fix drift."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from projects.labelstudio.client import LabelStudioClient
from projects.models import Annotation, LabelStudioProject, PushedTask
from tests.labelstudio.helpers import label_tasks, make_batch

pytestmark = pytest.mark.labelstudio


def _act(admin_client, model: str, action: str, ids: list[int]) -> list[str]:
    response = admin_client.post(
        reverse(f"admin:projects_{model}_changelist"),
        {"action": action, "_selected_action": ids},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)] or [
        str(message) for message in response.context["messages"]
    ]


def test_push_then_pull_from_the_admin(admin_client, vendor_connection):
    batch = make_batch(vendor_connection, tasks=5)

    said = _act(admin_client, "batch", "push_to_label_studio", [batch.pk])
    assert any("5 new tasks sent" in line for line in said), said
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    assert PushedTask.objects.filter(label_studio_project=label_studio_project).count() == 5

    label_tasks(label_studio_project, per_task=1, skip_first=False)
    said = _act(admin_client, "labelstudioproject", "pull_now", [label_studio_project.pk])
    assert any("5 new" in line for line in said), said
    assert Annotation.objects.filter(task__batch=batch).count() == 5

    page = admin_client.get(reverse("admin:projects_labelstudioproject_changelist")).content.decode()
    assert f"/projects/{label_studio_project.label_studio_id}/data" in page


def test_a_batch_of_a_vendor_without_its_own_server_is_refused_in_the_admin(admin_client, vendor_connection):
    from tests.factories import VendorFactory

    batch = make_batch(vendor_connection, tasks=2)
    batch.vendor = VendorFactory(name="Rival Labeling")
    batch.save()
    said = _act(admin_client, "batch", "push_to_label_studio", [batch.pk])
    assert not LabelStudioProject.objects.filter(batch=batch).exists()
    assert any("No Label Studio server serves vendor Rival Labeling" in line for line in said), said


def test_connection_check_says_ok_or_names_the_problem(admin_client, vendor_connection, monkeypatch):
    said = _act(admin_client, "labelstudioconnection", "check_now", [vendor_connection.pk])
    assert any("OK: Label Studio 1.23" in line for line in said), said

    monkeypatch.setenv(vendor_connection.token_env_var, "not-the-token")
    said = _act(admin_client, "labelstudioconnection", "check_now", [vendor_connection.pk])
    assert any("rejected the token" in line for line in said), said
    page = admin_client.get(reverse("admin:projects_labelstudioconnection_changelist")).content.decode()
    assert "failing" in page
    assert "not-the-token" not in page


def test_drift_shows_in_the_admin_and_one_click_fixes_it(admin_client, vendor_connection):
    batch = make_batch(vendor_connection, tasks=1)
    _act(admin_client, "batch", "push_to_label_studio", [batch.pk])
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    client.update_project(label_studio_project.label_studio_id, expert_instruction="Label fast, skip nothing.")

    said = _act(admin_client, "labelstudioproject", "check_drift_now", [label_studio_project.pk])
    assert any("Guidelines differ" in line for line in said), said
    page = admin_client.get(reverse("admin:projects_labelstudioproject_changelist")).content.decode()
    assert "⚠ drift" in page

    said = _act(admin_client, "labelstudioproject", "push_current_version", [label_studio_project.pk])
    assert any("now runs annotate's v1" in line for line in said), said
    assert client.get_project(label_studio_project.label_studio_id)["expert_instruction"] == batch.project.guidelines
    page = admin_client.get(reverse("admin:projects_labelstudioproject_changelist")).content.decode()
    assert "in step" in page
