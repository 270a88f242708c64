"""A vendor reads a rejected batch in the portal: why QA rejected it (never which items were gold), where its rework
waits in Label Studio, its SLA state, and due times in the vendor's own time zone."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects.access.roles import ANNOTATOR, QA_REVIEWER, VENDOR_MANAGER
from projects.labeling.services import current_config_version
from projects.labelstudio.accounts import label_studio_email
from projects.models import (
    Annotator,
    Batch,
    BatchDecision,
    LabelStudioConnection,
    LabelStudioProject,
    QASample,
    QASampleItem,
    Review,
    Rework,
    SlaState,
    SlaStatus,
    VendorManager,
)
from projects.quality.review.rework import send_rework
from tests.actors import actor_for
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
)
from tests.labelstudio.helpers import choice
from tests.labelstudio.test_rework import COMMENT, rejected_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # UserFactory's
DUE = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai
DECISION_COMMENT = "退货和退款混淆较多：请重读指南第 2 节。Refund and return were mixed up; re-read section 2."
GOLD_ID = "conv-1024"
LABEL_STUDIO_PASSWORD = "a-browser-test-password-3"


@dataclass
class RejectedBatch:
    batch: Batch
    annotator: Annotator
    manager_username: str
    labeling: LabelStudioProject
    rework: LabelStudioProject


def make_rejected_batch() -> RejectedBatch:
    """A Shanghai vendor's batch: 6 labels sampled (one on gold), 4 errors, rejected; rework sent, SLA at risk."""
    vendor = VendorFactory(name="华语数据 Huayu Data", slug="huayu", time_zone="Asia/Shanghai")
    project = LabelingProjectFactory(name="售后场景分类 Aftersales triage", slug="triage-huayu")
    batch = BatchFactory(project=project, vendor=vendor, name="huayu-w49 退款与物流", target_count=6, due_at=DUE)
    reviewer = UserFactory(username="qa.li")
    reviewer.groups.add(Group.objects.get(name=QA_REVIEWER))
    annotator_user = UserFactory(username="wang.fang", first_name="王芳")
    annotator_user.groups.add(Group.objects.get(name=ANNOTATOR))
    annotator = AnnotatorFactory(user=annotator_user, vendor=vendor)
    manager = UserFactory(username="manager-huayu", first_name="李娜")
    manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=manager, vendor=vendor)

    connection = LabelStudioConnection.objects.create(name="ls-huayu", url="http://127.0.0.1:9", vendor=vendor)
    version = current_config_version(project)
    labeling = LabelStudioProject.objects.create(
        batch=batch, connection=connection, label_studio_id=41, config_version=version
    )
    rework = LabelStudioProject.objects.create(
        batch=batch, connection=connection, label_studio_id=42, kind="rework", config_version=version
    )

    wrong = ErrorCategoryFactory(project=project, name="wrong scenario 场景错误")
    missed = ErrorCategoryFactory(project=project, name="missed evidence 漏看证据")
    sample = QASample.objects.create(batch=batch, seed=batch.pk)
    verdicts = [
        # The gold task: the annotator said refund where the gold answer is "damaged".
        (GOLD_ID, "reject", wrong, "应为商品损坏 Damaged 商品损坏"),
        ("conv-1025", "reject", missed, "买家附了照片"),
        ("conv-1026", "correct", None, ""),
        ("conv-1027", "reject", wrong, "买家要的是退货"),
        ("conv-1028", "accept", None, ""),
        ("conv-1029", "accept", None, ""),
    ]
    for external_id, verdict, category, comment in verdicts:
        gold = external_id == GOLD_ID
        task = TaskFactory(
            project=project,
            batch=batch,
            external_id=external_id,
            language="zh",
            data={"message": "耳机左耳没有声音", "reply": "亲，请提供照片"},
            is_gold=gold,
            gold_answer=[choice("scenario", "damaged")] if gold else None,
        )
        annotation = AnnotationFactory(task=task, annotator=annotator, result=[choice("scenario", "refund")])
        item = QASampleItem.objects.create(sample=sample, annotation=annotation, status="reviewed")
        review = Review.objects.create(
            annotation=annotation,
            sample_item=item,
            reviewer=reviewer,
            verdict=verdict,
            error_category=category,
            severity="major" if verdict == "reject" else None,
            comment=comment,
            corrected_result=[choice("scenario", "not_received")] if verdict == "correct" else None,
        )
        if verdict == "reject":
            Rework.objects.create(
                annotation=annotation, review=review, label_studio_project=rework, label_studio_task_id=task.pk
            )
    BatchDecision.objects.create(
        batch=batch,
        sample=sample,
        decided_by=reviewer,
        sample_size=6,
        errors=4,
        error_rate=0.667,
        upper_bound=0.903,
        aql="0.050",
        accepted=False,
        comment=DECISION_COMMENT,
    )
    batch.status = Batch.Status.REJECTED
    batch.save()
    SlaStatus.objects.create(
        batch=batch,
        vendor=vendor,
        state=SlaState.AT_RISK,
        since=dt.datetime(2026, 12, 4, 1, 30, tzinfo=dt.UTC),
        checked_at=timezone.now(),
        reasons=[{"figure": "forecast", "message": "The forecast completion 2026-12-08 misses the due date."}],
    )
    return RejectedBatch(batch, annotator, manager.username, labeling, rework)


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def assert_no_gold(text: str) -> None:
    assert "gold" not in text.lower()
    assert GOLD_ID not in text
    assert "Damaged" not in text and "damaged" not in text and "商品损坏" not in text


def test_vendor_manager_reads_why_the_batch_was_rejected_its_sla_state_and_due_time_in_shanghai_time(
    live_server, page, screenshot
):
    world = make_rejected_batch()

    log_in(page, live_server.url, world.manager_username)

    row = page.get_by_role("row").filter(has_text=world.batch.name)
    expect(row).to_contain_text("Dec 6, 18:00 Asia/Shanghai")
    expect(row.locator(".badge-sla-at_risk")).to_have_text("At risk")
    expect(row).to_contain_text("Rejected")
    screenshot(page, "1-home")

    row.get_by_role("link", name=world.batch.name).click()
    page.wait_for_url(f"{live_server.url}/batches/{world.batch.pk}/")
    figures = page.locator("dl.figures")
    expect(figures).to_contain_text("Dec 6, 2026 18:00 Asia/Shanghai")
    expect(figures.locator(".sla")).to_contain_text("At risk")
    expect(figures.locator(".sla")).to_contain_text("since Dec 4, 09:30 Asia/Shanghai")
    expect(page.locator(".sla-reasons")).to_contain_text("misses the due date")

    rejection = page.get_by_role("region", name="Why QA rejected this batch")
    expect(rejection).to_contain_text("4 of 6 sampled labels had errors")
    expect(rejection.locator("blockquote")).to_have_text(DECISION_COMMENT)
    counts = rejection.locator(".error-counts li")
    expect(counts).to_have_text(
        ["wrong scenario 场景错误: 2", "Label corrected (no error category): 1", "missed evidence 漏看证据: 1"]
    )
    expect(page.get_by_role("link", name=re.compile("Rework in Label Studio"))).to_have_attribute(
        "href", world.rework.browser_url
    )
    assert_no_gold(page.locator("main").inner_text())
    assert_no_gold(page.content())
    screenshot(page, "2-batch")


def test_annotator_follows_the_rework_link_and_reads_the_reason_but_no_sla_figures(live_server, page, screenshot):
    world = make_rejected_batch()

    log_in(page, live_server.url, world.annotator.user.username)

    row = page.get_by_role("row").filter(has_text=world.batch.name)
    expect(row).to_contain_text("Dec 6, 18:00 Asia/Shanghai")
    expect(row.get_by_role("link", name="Label in Label Studio →")).to_have_attribute(
        "href", world.labeling.browser_url
    )
    rework_link = row.get_by_role("link", name="Rework in Label Studio (3 to redo) →")
    expect(rework_link).to_have_attribute("href", "http://127.0.0.1:9/projects/42/data")
    expect(rework_link).to_have_attribute("target", "_blank")
    assert "At risk" not in page.locator("main").inner_text()
    # Their feedback lists the rejections of ordinary tasks only: the gold task's comment states its answer.
    feedback = page.locator("ul.feedback")
    expect(feedback).to_contain_text("conv-1025")
    expect(feedback).to_contain_text("买家附了照片")
    assert_no_gold(feedback.inner_text())
    screenshot(page, "1-home")

    row.get_by_role("link", name=world.batch.name).click()
    expect(page.get_by_role("region", name="Why QA rejected this batch")).to_contain_text(DECISION_COMMENT)
    expect(page.get_by_role("link", name=re.compile("Rework in Label Studio"))).to_be_visible()
    assert "At risk" not in page.locator("main").inner_text()
    assert_no_gold(page.content())
    screenshot(page, "2-batch")


def test_a_vendor_in_utc_reads_due_times_in_utc_and_says_so(live_server, page):
    world = make_rejected_batch()
    vendor = world.batch.vendor
    vendor.time_zone = "UTC"
    vendor.save()

    log_in(page, live_server.url, world.manager_username)

    expect(page.get_by_role("row").filter(has_text=world.batch.name)).to_contain_text("Dec 6, 10:00 UTC")


@pytest.mark.labelstudio
def test_annotator_opens_the_rework_project_from_the_portal_and_reads_the_reviewers_comment_there(
    live_server, vendor_connection, label_studio_server, page, screenshot
):
    batch, _, rejected = rejected_batch(vendor_connection)
    send_rework(batch=batch, actor=actor_for(None))
    rework = LabelStudioProject.objects.get(batch=batch, kind=LabelStudioProject.Kind.REWORK)
    annotator = rejected.annotator
    annotator.user.groups.add(Group.objects.get(name=ANNOTATOR))

    log_in(page, live_server.url, annotator.user.username)

    row = page.get_by_role("row").filter(has_text=batch.name)
    link = row.get_by_role("link", name="Rework in Label Studio (1 to redo) →")
    expect(link).to_have_attribute("href", rework.browser_url)
    screenshot(page, "1-portal")
    with page.context.expect_page() as opened:
        link.click()
    label_studio = opened.value
    label_studio.wait_for_url(re.compile(re.escape(f"{label_studio_server.url}/user/login/")))
    email = label_studio_email(annotator)
    label_studio_server.set_password(email, LABEL_STUDIO_PASSWORD)
    label_studio.fill("input[name=email]", email)
    label_studio.fill("input[name=password]", LABEL_STUDIO_PASSWORD)
    label_studio.click("button[type=submit]")
    label_studio.wait_for_url(re.compile(re.escape(rework.browser_url) + r"/?(\?.*)?$"))
    # The data manager lists the rework task with the reviewer's feedback beside the conversation.
    expect(
        label_studio.get_by_text(re.compile(re.escape(f"Wrong scenario (major): {COMMENT[:40]}"))).first
    ).to_be_visible()
    screenshot(label_studio, "2-label-studio-rework")
