"""Configuration changes made in the admin (and the API) are in the audit log: who, before and after."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from projects.access.roles import ANNOTATOR, PROJECT_MANAGER
from tests.access.admin_forms import change_form_data
from tests.factories import BatchFactory, LabelingProjectFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project_manager(db):
    manager = UserFactory(username="pm", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    return manager


@pytest.fixture
def pm_client(client, project_manager):
    client.force_login(project_manager)
    return client


def _last_update(instance) -> LogEntry:
    return LogEntry.objects.get_for_object(instance).filter(action=LogEntry.Action.UPDATE).latest("timestamp")


def _save_change_form(client, url: str, **changes) -> None:
    page = client.get(url)
    assert page.status_code == 200
    data = change_form_data(page) | changes
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved


def test_changing_a_projects_settings_in_the_admin_is_logged_with_actor_and_values(pm_client, project_manager):
    project = LabelingProjectFactory(gold_rate="0.050", qa_sample_rate="0.100")
    BatchFactory(project=project)

    _save_change_form(
        pm_client, f"/admin/projects/labelingproject/{project.pk}/change/", gold_rate="0.2", qa_sample_rate="0.25"
    )

    entry = _last_update(project)
    assert entry.actor == project_manager
    before, after = entry.changes_dict["gold_rate"]
    assert (Decimal(before), Decimal(after)) == (Decimal("0.05"), Decimal("0.2"))
    before, after = entry.changes_dict["qa_sample_rate"]
    assert (Decimal(before), Decimal(after)) == (Decimal("0.1"), Decimal("0.25"))


def test_changing_a_batch_in_the_admin_is_logged_with_actor_and_values(pm_client, project_manager):
    vendor = VendorFactory(name="Acme Labeling")
    other_vendor = VendorFactory(name="Beta Labeling")
    batch = BatchFactory(vendor=vendor, target_count=100, due_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))

    _save_change_form(
        pm_client, f"/admin/projects/batch/{batch.pk}/change/", target_count="250", vendor=str(other_vendor.pk)
    )

    entry = _last_update(batch)
    assert entry.actor == project_manager
    assert entry.changes_dict["target_count"] == ["100", "250"]
    assert entry.changes_dict["vendor"] == [str(vendor.pk), str(other_vendor.pk)]


def test_giving_someone_a_role_in_the_admin_is_logged_with_actor(client):
    # Role changes are group membership changes. Only superusers may edit users in the admin:
    # the project manager role has no permissions on auth users (one could make themself superuser).
    administrator = UserFactory(username="admin", is_staff=True, is_superuser=True)
    newcomer = UserFactory(username="newcomer")
    client.force_login(administrator)

    annotators = Group.objects.get(name=ANNOTATOR)
    _save_change_form(client, f"/admin/auth/user/{newcomer.pk}/change/", groups=[str(annotators.pk)])

    newcomer.refresh_from_db()
    assert list(newcomer.groups.all()) == [annotators]
    entry = LogEntry.objects.get_for_object(newcomer).latest("timestamp")
    assert entry.actor == administrator
    assert entry.changes_dict["groups"] == {"type": "m2m", "operation": "add", "objects": [str(annotators)]}


def test_taking_a_role_away_in_the_admin_is_logged(client):
    administrator = UserFactory(username="admin", is_staff=True, is_superuser=True)
    leaver = UserFactory(username="leaver")
    annotators = Group.objects.get(name=ANNOTATOR)
    leaver.groups.add(annotators)
    client.force_login(administrator)

    url = f"/admin/auth/user/{leaver.pk}/change/"
    data = change_form_data(client.get(url))
    data.pop("groups")
    assert client.post(url, data).status_code == 302

    entry = LogEntry.objects.get_for_object(leaver).latest("timestamp")
    assert entry.actor == administrator
    assert entry.changes_dict["groups"] == {"type": "m2m", "operation": "delete", "objects": [str(annotators)]}


def test_a_project_changed_through_the_api_is_logged_with_the_tokens_owner(client, project_manager):
    project = LabelingProjectFactory(overlap=1)
    token = Token.objects.create(user=project_manager)

    response = client.patch(
        f"/api/v1/projects/{project.pk}/",
        {"overlap": 3},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )

    assert response.status_code == 200
    entry = _last_update(project)
    assert entry.actor == project_manager
    assert entry.changes_dict["overlap"] == ["1", "3"]
