"""A paused annotator signed in to Label Studio in a real browser is shown no task, and labels again once
reinstated."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from projects.access.roles import PROJECT_MANAGER
from projects.labelstudio.push import push_batch
from projects.models import AnnotatorAccount, LabelStudioProject
from projects.workforce.pauses import pause_annotator, reinstate_annotator
from tests.actors import SYSTEM, actor_for
from tests.factories import UserFactory
from tests.labelstudio.helpers import make_batch

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]

PASSWORD = "a-browser-test-password-2"
ADMIN_PASSWORD = "annotate-local-dev-only"  # scripts/labelstudio's local-only default
TASK_TEXT = "Order SO-2026-000000 never arrived"


def sign_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/user/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda address: "/user/login" not in address)


def open_label_stream(page, label_studio_project: LabelStudioProject) -> int:
    """Open the project and press "Label All Tasks"; the status of the page's request for the next task."""
    page.goto(label_studio_project.browser_url)
    with page.expect_response(lambda response: "/api/dm/actions?id=next_task" in response.url) as answered:
        page.get_by_role("button", name="Label All Tasks").click()
    return answered.value.status


def test_a_paused_annotator_sees_no_task_in_the_browser_and_a_reinstated_one_labels_again(
    vendor_connection, label_studio_server, page, screenshot, settings
):
    settings.LABEL_STUDIO_ADMIN_PASSWORD = ADMIN_PASSWORD
    batch = make_batch(vendor_connection, tasks=2, overlap=1, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    account = AnnotatorAccount.objects.filter(connection=vendor_connection).order_by("pk").first()
    label_studio_server.set_password(account.email, PASSWORD)
    sign_in(page, label_studio_server.url, account.email)
    assert open_label_stream(page, label_studio_project) == 200
    expect(page.get_by_text(TASK_TEXT)).to_be_visible()
    screenshot(page, "1-labeling")

    manager = UserFactory(username="pm-browser", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    pause = pause_annotator(annotator=account.annotator, project=batch.project, reason="Test pause.", actor=SYSTEM)
    try:
        page.goto(label_studio_project.browser_url)
        page.wait_for_load_state("networkidle")
        screenshot(page, "2-paused")
        expect(
            page.get_by_text("Runtime error: You do not have permission to perform this action.", exact=True)
        ).to_be_visible()
        expect(page.get_by_text(TASK_TEXT)).to_have_count(0)
        expect(page.get_by_role("button", name="Label All Tasks")).to_have_count(0)
    finally:  # the server outlives the test database: leave no one removed from it
        reinstate_annotator(pause=pause, comment="Retrained.", actor=actor_for(manager))

    assert open_label_stream(page, label_studio_project) == 200
    expect(page.get_by_text(TASK_TEXT)).to_be_visible()
    screenshot(page, "3-reinstated")
