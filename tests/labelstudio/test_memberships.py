"""A paused annotator loses Label Studio access through the real server's API, and a reinstated one regains it."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import push_batch
from projects.models import AnnotatorAccount, LabelStudioProject, PushedTask
from projects.workforce.pauses import pause_annotator, reinstate_annotator
from tests.actors import SYSTEM, actor_for
from tests.factories import UserFactory
from tests.labelstudio.helpers import choice, make_batch

pytestmark = pytest.mark.labelstudio

PASSWORD = "a-paused-annotator-password-1"
ADMIN_PASSWORD = "annotate-local-dev-only"  # scripts/labelstudio's local-only default


@pytest.fixture
def label_studio_admin(settings):
    settings.LABEL_STUDIO_ADMIN_PASSWORD = ADMIN_PASSWORD


def project_manager():
    manager = UserFactory(username="pm", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    return manager


def signed_in(url: str, email: str) -> httpx.Client:
    """The annotator's browser session, signed in through Label Studio's login page."""
    session = httpx.Client(base_url=url)
    session.get("/user/login/")
    answer = session.post(
        "/user/login/",
        data={"email": email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{url}/user/login/"},
    )
    assert answer.status_code == 302
    return session


def annotator_access(url: str, token: str, session: httpx.Client, project_id: int, task_id: int) -> dict:
    with_token = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"})
    body = {"result": [choice("scenario", "refund")]}
    return {
        "next task by token": with_token.get(f"/api/projects/{project_id}/next").status_code,
        "submit by token": with_token.post(f"/api/tasks/{task_id}/annotations/", json=body).status_code,
        "next task in the browser": session.get(f"/api/projects/{project_id}/next").status_code,
        "project in the browser": session.get(f"/api/projects/{project_id}/").status_code,
    }


def test_a_paused_annotator_can_neither_fetch_nor_submit_and_a_reinstated_one_can(
    vendor_connection, label_studio_server, label_studio_admin
):
    batch = make_batch(vendor_connection, tasks=4, overlap=1, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    project_id = LabelStudioProject.objects.get(batch=batch).label_studio_id
    tasks = list(
        PushedTask.objects.filter(label_studio_project__batch=batch).values_list("label_studio_task_id", flat=True)
    )
    account = AnnotatorAccount.objects.filter(connection=vendor_connection).order_by("pk").first()
    label_studio_server.set_password(account.email, PASSWORD)
    session = signed_in(label_studio_server.url, account.email)
    token = session.get("/api/current-user/token").json()["token"]
    assert annotator_access(label_studio_server.url, token, session, project_id, tasks[0]) == {
        "next task by token": 200,
        "submit by token": 201,
        "next task in the browser": 200,
        "project in the browser": 200,
    }
    client = LabelStudioClient.for_connection(vendor_connection)
    deactivated = client.request(
        "PATCH", f"api/users/{account.label_studio_user_id}/", what="x", body={"is_active": False}
    )
    assert "is_active" not in deactivated  # accepted and ignored: Community's API cannot deactivate a user

    pause = pause_annotator(annotator=account.annotator, project=batch.project, reason="Test pause.", actor=SYSTEM)

    assert pause.label_studio == [
        {
            "connection": vendor_connection.name,
            "label_studio_user_id": account.label_studio_user_id,
            "done": True,
            "detail": "membership removed; task locks released",
        }
    ]
    assert annotator_access(label_studio_server.url, token, session, project_id, tasks[1]) == {
        "next task by token": 403,
        "submit by token": 403,
        "next task in the browser": 403,
        "project in the browser": 403,
    }
    assert signed_in(label_studio_server.url, account.email)  # signing in still works, and opens nothing

    reinstate_annotator(pause=pause, comment="Retrained.", actor=actor_for(project_manager()))

    assert annotator_access(label_studio_server.url, token, session, project_id, tasks[1]) == {
        "next task by token": 200,
        "submit by token": 201,
        "next task in the browser": 200,
        "project in the browser": 200,
    }


def test_the_task_a_paused_annotator_held_is_served_to_another_annotator(
    vendor_connection, label_studio_server, label_studio_admin
):
    batch = make_batch(vendor_connection, tasks=1, overlap=1, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    project_id = LabelStudioProject.objects.get(batch=batch).label_studio_id
    paused, other = AnnotatorAccount.objects.filter(connection=vendor_connection).order_by("pk")[:2]
    sessions = {}
    for account in (paused, other):
        label_studio_server.set_password(account.email, PASSWORD)
        sessions[account.pk] = signed_in(label_studio_server.url, account.email)
    held = sessions[paused.pk].get(f"/api/projects/{project_id}/next")
    assert held.status_code == 200  # the only task, locked for them while they label it
    assert sessions[other.pk].get(f"/api/projects/{project_id}/next").status_code == 404

    pause = pause_annotator(annotator=paused.annotator, project=batch.project, reason="Test pause.", actor=SYSTEM)
    try:
        served = sessions[other.pk].get(f"/api/projects/{project_id}/next")
        assert served.status_code == 200
        assert served.json()["id"] == held.json()["id"]
    finally:  # the server outlives the test database: leave no one removed from it
        reinstate_annotator(pause=pause, comment="Test over.", actor=actor_for(project_manager()))
