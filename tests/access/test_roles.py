"""What the project manager role may do with accounts in the admin: pick them, not change them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER
from tests.access.admin_forms import change_form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm_client(client):
    manager = UserFactory(username="pm", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(manager)
    return client


@pytest.mark.parametrize("model_name", ["vendormanager", "annotator"])
def test_a_project_manager_can_pick_the_account_of_a_new_vendor_manager_or_annotator(pm_client, model_name):
    UserFactory(username="mia.ross")

    response = pm_client.get(
        "/admin/autocomplete/",
        {"app_label": "projects", "model_name": model_name, "field_name": "user", "term": "mia"},
    )

    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["mia.ross"]


def test_a_project_manager_cannot_make_anyone_superuser(pm_client):
    someone = UserFactory(username="someone")
    url = f"/admin/auth/user/{someone.pk}/change/"

    page = pm_client.get(url)
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content

    response = pm_client.post(url, {"username": "someone", "is_superuser": "on", "is_staff": "on"})
    assert response.status_code == 403
    someone.refresh_from_db()
    assert not someone.is_superuser


def test_the_change_form_helper_reads_back_what_the_page_shows(client):
    administrator = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(administrator)

    data = change_form_data(client.get(f"/admin/auth/user/{administrator.pk}/change/"))

    assert data["username"] == "admin"
    assert data["is_superuser"] == "on"
