"""Granting a role is one use case, whoever grants it: the admin's annotator and vendor-manager forms, the demo."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group

from projects.access.grants import RoleRefused, grant_role
from projects.access.roles import ANNOTATOR, PROJECT_MANAGER, VENDOR_MANAGER
from tests.access.admin_forms import change_form_data
from tests.actors import actor_for
from tests.factories import UserFactory, VendorFactory

pytestmark = pytest.mark.django_db


def test_adding_an_annotator_in_the_admin_grants_the_role_under_the_project_managers_name(client):
    manager = UserFactory(username="pm", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    newcomer, vendor = UserFactory(username="newcomer"), VendorFactory()
    client.force_login(manager)
    page = client.get("/admin/projects/annotator/add/")
    data = change_form_data(page) | {"user": str(newcomer.pk), "vendor": str(vendor.pk), "languages": '["en"]'}

    saved = client.post("/admin/projects/annotator/add/", data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved

    assert list(newcomer.groups.values_list("name", flat=True)) == [ANNOTATOR]
    entry = LogEntry.objects.get_for_object(newcomer).latest("timestamp")
    assert entry.actor == manager
    assert entry.changes_dict["groups"]["objects"] == [ANNOTATOR]
    assert entry.additional_data == {"actor": "pm", "via": "admin"}


def test_a_role_is_granted_once_and_an_unknown_role_or_an_inactive_user_is_refused():
    person, granter = UserFactory(), UserFactory()

    assert grant_role(user=person, role=VENDOR_MANAGER, actor=actor_for(granter)) is True
    assert grant_role(user=person, role=VENDOR_MANAGER, actor=actor_for(granter)) is False
    with pytest.raises(RoleRefused, match="'owner' is not a role"):
        grant_role(user=person, role="owner", actor=actor_for(granter))
    person.is_active = False
    with pytest.raises(RoleRefused, match="is inactive"):
        grant_role(user=person, role=ANNOTATOR, actor=actor_for(granter))
    assert list(person.groups.values_list("name", flat=True)) == [VENDOR_MANAGER]
