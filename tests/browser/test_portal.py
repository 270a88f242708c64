"""The vendor portal in a browser: a vendor manager sees their own vendor only; an annotator goes to Label Studio."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from projects.access.roles import ANNOTATOR, VENDOR_MANAGER
from projects.labelstudio.accounts import label_studio_email
from projects.labelstudio.push import label_studio_title, push_batch
from projects.models import Annotator, Batch, LabelStudioConnection, LabelStudioProject, VendorManager
from tests.actors import SYSTEM
from tests.conftest import TOKEN_ENV_VAR
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
)
from tests.labelstudio.helpers import choice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # UserFactory's
LABEL_STUDIO_PASSWORD = "a-browser-test-password-2"


@dataclass
class VendorSide:
    batches: list[Batch]
    annotators: list[Annotator]
    manager_username: str


def make_vendor_side(*, name: str, slug: str, batch_names: list[str], annotators: list[tuple[str, str]]) -> VendorSide:
    """A vendor with batches of the Mandarin/English triage project, annotators with graded gold work, a manager."""
    vendor = VendorFactory(name=name, slug=slug)
    project = LabelingProjectFactory(name=f"售后场景分类 Aftersales triage ({slug})", slug=f"triage-{slug}")
    batches = [
        BatchFactory(project=project, vendor=vendor, name=batch_name, target_count=4, due_at=timezone.now() + due)
        for batch_name, due in zip(batch_names, (dt.timedelta(days=2), dt.timedelta(days=9)), strict=False)
    ]
    annotator_group = Group.objects.get(name=ANNOTATOR)
    people = []
    for position, (username, full_name) in enumerate(annotators):
        user = UserFactory(username=username, first_name=full_name)
        user.groups.add(annotator_group)
        people.append(AnnotatorFactory(user=user, vendor=vendor))
        for number in range(4):
            task = TaskFactory(
                project=project,
                batch=batches[0],
                external_id=f"{username}-{number}",
                data={"message": "我的快递一直没到", "reply": "亲，正在为您查询物流"},
                language="zh",
                is_gold=True,
                gold_answer=[choice("scenario", "not_received")],
            )
            # The first annotator misses one gold task in four; later ones miss none.
            given = "refund" if position == 0 and number == 3 else "not_received"
            done_at = timezone.now() - dt.timedelta(days=7 * (number % 2))
            AnnotationFactory(
                task=task,
                annotator=people[-1],
                result=[choice("scenario", given)],
                lead_time=30.0 + 5 * number + position,
                created_at=done_at,
                updated_at=done_at,
            )
    for number in range(3):
        TaskFactory(project=project, batch=batches[1], external_id=f"{slug}-open-{number}", language="en")
    manager = UserFactory(username=f"manager-{slug}", first_name="李娜")
    manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=manager, vendor=vendor)
    return VendorSide(batches=batches, annotators=people, manager_username=manager.username)


def make_two_vendors() -> tuple[VendorSide, VendorSide]:
    lingua = make_vendor_side(
        name="Lingua Works",
        slug="lingua",
        batch_names=["lingua-w47 退款与物流", "lingua-w48 hallucination"],
        annotators=[("mei.chen", "陈梅"), ("tom.baker", "Tom Baker")],
    )
    huayu = make_vendor_side(
        name="华语数据 Huayu Data",
        slug="huayu",
        batch_names=["huayu-w47 商品损坏", "huayu-w48 dealer chats"],
        annotators=[("wang.fang", "王芳")],
    )
    return lingua, huayu


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def test_vendor_manager_sees_only_their_vendors_batches_and_opens_a_scorecard(live_server, page, screenshot):
    lingua, huayu = make_two_vendors()

    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "1-login")
    log_in(page, live_server.url, lingua.manager_username)

    screenshot(page, "2-home")
    for batch in lingua.batches:
        expect(page.get_by_role("link", name=batch.name)).to_be_visible()
    text = page.locator("main").inner_text()
    for batch in huayu.batches:
        assert batch.name not in text
    assert "wang.fang" not in text
    assert huayu.batches[0].project.name not in text

    page.get_by_role("link", name=lingua.batches[0].name).click()
    page.wait_for_url(f"{live_server.url}/batches/{lingua.batches[0].pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(lingua.batches[0].name)
    expect(page.locator("dl.figures")).to_contain_text("8 / 8")
    screenshot(page, "3-batch")
    page.get_by_role("link", name="All batches").click()

    annotator = lingua.annotators[0]
    page.get_by_role("link", name=annotator.user.username).click()
    page.wait_for_url(f"{live_server.url}/annotators/{annotator.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("陈梅")
    figures = page.locator("dl.figures")
    expect(figures).to_contain_text("75%")  # 3 of 4 gold tasks right
    expect(figures).to_contain_text("3/4 gold")
    screenshot(page, "4-scorecard")

    foreign = page.goto(f"{live_server.url}/annotators/{huayu.annotators[0].pk}/")
    assert foreign.status == 404
    foreign = page.goto(f"{live_server.url}/batches/{huayu.batches[0].pk}/")
    assert foreign.status == 404


@pytest.mark.labelstudio
def test_annotator_follows_the_link_to_their_batch_in_label_studio(live_server, label_studio_server, page, screenshot):
    lingua, huayu = make_two_vendors()
    batch = lingua.batches[0]
    connection = LabelStudioConnection.objects.create(
        name="ls-lingua", url=label_studio_server.url, vendor=batch.vendor, token_env_var=TOKEN_ENV_VAR
    )
    push_batch(batch=batch, connection=connection, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    annotator = lingua.annotators[0]

    log_in(page, live_server.url, annotator.user.username)

    screenshot(page, "1-home")
    text = page.locator("main").inner_text()
    for other in huayu.batches:
        assert other.name not in text
    row = page.get_by_role("row").filter(has_text=batch.name)
    link = row.get_by_role("link", name=re.compile("Label in Label Studio"))
    expect(link).to_have_attribute("href", label_studio_project.browser_url)
    expect(page.get_by_role("row").filter(has_text=lingua.batches[1].name)).to_contain_text("not pushed yet")
    expect(page.locator("dl.figures")).to_contain_text("75%")

    with page.context.expect_page() as opened:
        link.click()
    label_studio = opened.value
    label_studio.wait_for_url(re.compile(re.escape(f"{label_studio_server.url}/user/login/")))
    expect(label_studio.locator("input[name=email]")).to_be_visible()
    screenshot(label_studio, "2-label-studio-login")

    email = label_studio_email(annotator)
    label_studio_server.set_password(email, LABEL_STUDIO_PASSWORD)
    label_studio.fill("input[name=email]", email)
    label_studio.fill("input[name=password]", LABEL_STUDIO_PASSWORD)
    label_studio.click("button[type=submit]")
    # Label Studio honours the ?next= of its login page; the data manager then adds its tab.
    label_studio.wait_for_url(re.compile(re.escape(label_studio_project.browser_url) + r"/?(\?.*)?$"))
    expect(label_studio.get_by_text(label_studio_title(batch)).first).to_be_visible()
    expect(label_studio.get_by_text("我的快递一直没到").first).to_be_visible()
    screenshot(label_studio, "3-label-studio-project")
