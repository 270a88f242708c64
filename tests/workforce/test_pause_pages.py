"""Where people meet a pause: the PM's admin list and its reinstate action, and the vendor manager's portal."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import escape

from projects.access.roles import VENDOR_MANAGER
from projects.labeling.services import current_config_version
from projects.models import (
    AnnotatorAccount,
    AnnotatorPause,
    GoldGatePolicy,
    LabelStudioConnection,
    LabelStudioProject,
    VendorManager,
)
from projects.workforce.gate_checks import evaluate_gold_gate
from tests.actors import SYSTEM
from tests.factories import UserFactory, VendorFactory
from tests.workforce.world import gate_world

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/projects/annotatorpause/"


@pytest.fixture
def paused():
    world = gate_world()
    world.label(world.careless, ["damaged"] * 4)
    evaluate_gold_gate(project=world.project, actor=SYSTEM)
    return world, AnnotatorPause.objects.get()


def test_the_pm_lists_pauses_with_their_reason(client, paused):
    world, _ = paused
    client.force_login(world.pm)
    page = client.get(CHANGELIST).content.decode()
    assert "careless" in page
    assert "Paused during onboarding: 0 of 4 gold answers right" in page


def test_the_pm_reinstates_from_the_admin_with_a_comment(client, paused):
    world, pause = paused
    client.force_login(world.pm)
    chosen = {"action": "reinstate", ACTION_CHECKBOX_NAME: [pause.pk]}

    asked = client.post(CHANGELIST, chosen)
    assert "These annotators get their Label Studio access back" in asked.content.decode()
    done = client.post(CHANGELIST, {**chosen, "apply": "1", "comment": "Retrained on refunds."}, follow=True)

    assert "Reinstated 1 annotator(s)." in done.content.decode()
    pause.refresh_from_db()
    assert (pause.reinstated_by, pause.reinstatement_comment) == (world.pm, "Retrained on refunds.")


def test_a_vendor_manager_reads_why_their_annotator_was_paused_and_a_rival_does_not(client, paused):
    world, pause = paused
    client.force_login(world.vendor_manager)
    page = client.get(reverse("portal-home")).content.decode()
    assert "Paused annotators" in page
    assert "careless" in page and escape(pause.reason) in page
    assert "still paused" in page

    rival = UserFactory(username="rival-ops")
    rival.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=rival, vendor=VendorFactory())
    client.force_login(rival)
    page = client.get(reverse("portal-home")).content.decode()
    assert "No one is paused." in page and "careless" not in page


def test_without_the_label_studio_admin_password_the_pm_is_told_where_to_restore_access(client, paused, settings):
    world, pause = paused
    settings.LABEL_STUDIO_ADMIN_PASSWORD = ""  # restoring then stops before any request to the server
    connection = LabelStudioConnection.objects.create(
        name="ls-vendor", url="http://ls.vendor.example", vendor=world.batch.vendor
    )
    LabelStudioProject.objects.create(
        batch=world.batch,
        connection=connection,
        label_studio_id=1,
        config_version=current_config_version(world.project),
    )
    AnnotatorAccount.objects.create(
        annotator=world.careless, connection=connection, label_studio_user_id=7, email="careless@example.com"
    )
    pause.label_studio = [{"connection": "ls-vendor", "label_studio_user_id": 7, "done": True, "detail": "removed"}]
    pause.save()
    client.force_login(world.pm)

    done = client.post(
        CHANGELIST,
        {"action": "reinstate", ACTION_CHECKBOX_NAME: [pause.pk], "apply": "1", "comment": "Back."},
        follow=True,
    ).content.decode()

    assert "Reinstated 1 annotator(s)." in done
    assert "no LABEL_STUDIO_ADMIN_PASSWORD: clear &#x27;deleted at&#x27; at http://ls.vendor.example/admin/" in done


def test_the_pm_reinstates_through_the_api_and_the_vendor_manager_reads_it(client, paused):
    world, pause = paused
    client.force_login(world.pm)
    url = reverse("api:pause-reinstate", args=[pause.pk])

    assert client.post(url, {"comment": ""}, content_type="application/json").status_code == 400
    answer = client.post(url, {"comment": "Retrained."}, content_type="application/json")

    assert answer.status_code == 200
    assert answer.json()["reinstatement_comment"] == "Retrained."
    entry = LogEntry.objects.get_for_object(pause).latest("timestamp")
    assert (entry.actor, entry.additional_data["via"]) == (world.pm, "api")
    client.force_login(world.vendor_manager)
    [listed] = client.get(reverse("api:pause-list")).json()["results"]
    assert (listed["username"], listed["reinstatement_comment"]) == ("careless", "Retrained.")
    assert client.post(url, {"comment": "Again."}, content_type="application/json").status_code == 403


def test_a_vendor_manager_reinstates_from_the_portal_only_where_the_project_allows(client, paused):
    world, pause = paused
    client.force_login(world.vendor_manager)
    url = reverse("portal-reinstate", args=[pause.pk])
    assert url not in client.get(reverse("portal-home")).content.decode()  # no form: the project does not allow it
    refused = client.post(url, {"comment": "Coached."}, follow=True).content.decode()
    assert "Only a project manager" in refused
    GoldGatePolicy.objects.filter(project=world.project).update(vendor_manager_may_reinstate=True)
    assert url in client.get(reverse("portal-home")).content.decode()

    done = client.post(url, {"comment": "Coached on refunds."}, follow=True).content.decode()

    assert "careless may label" in done and "Coached on refunds." in done
    pause.refresh_from_db()
    assert (pause.reinstated_by, pause.reinstatement_comment) == (world.vendor_manager, "Coached on refunds.")
