"""An annotator labels in Label Studio in a real browser; annotate's pull brings the label back as theirs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from projects.labelstudio.accounts import label_studio_email
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.push import label_studio_title, push_batch
from projects.models import Annotation, AnnotatorAccount, LabelStudioProject
from tests.actors import SYSTEM
from tests.labelstudio.helpers import make_batch

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]

PASSWORD = "a-browser-test-password-1"


def test_label_submitted_in_the_browser_is_pulled_as_the_annotators(
    vendor_connection, label_studio_server, page, screenshot
):
    batch = make_batch(vendor_connection, tasks=3, overlap=1, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    account = AnnotatorAccount.objects.filter(connection=vendor_connection).order_by("pk").first()
    annotator = account.annotator
    assert account.email == label_studio_email(annotator)
    label_studio_server.set_password(account.email, PASSWORD)

    page.goto(f"{label_studio_server.url}/user/login/")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", PASSWORD)
    screenshot(page, "1-login")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/user/login" not in url)

    page.goto(label_studio_project.browser_url)
    expect(page.get_by_text(label_studio_title(batch)).first).to_be_visible()
    expect(page.get_by_text("Order SO-2026-000000 never arrived")).to_be_visible()
    screenshot(page, "2-project")
    page.get_by_role("button", name="Label All Tasks").click()
    page.wait_for_url(re.compile(r"labeling=1"))
    refund = page.get_by_text("Refund 退款")
    expect(refund).to_be_visible()
    refund.click()
    screenshot(page, "3-chosen")
    with page.expect_response(
        lambda response: re.search(r"/api/tasks/\d+/annotations", response.url) and response.request.method == "POST"
    ) as submitted:
        page.get_by_role("button", name="Submit current annotation").click()
    assert submitted.value.status == 201
    page.goto(label_studio_project.browser_url)
    expect(page.get_by_text("Submitted annotations: 1")).to_be_visible()
    screenshot(page, "4-submitted")

    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)

    assert run.created == 1
    annotation = Annotation.objects.get(task__batch=batch)
    assert annotation.annotator == annotator
    assert annotation.label_studio_user_id == account.label_studio_user_id
    assert not annotation.was_cancelled
    scenario = [region for region in annotation.result if region["from_name"] == "scenario"]
    assert scenario[0]["value"]["choices"] == ["refund"]
