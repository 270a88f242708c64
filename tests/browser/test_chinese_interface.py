"""Vendor managers and annotators read annotate in Simplified Chinese: every vendor-side page, no English left.

The language is chosen on the switcher (the login page has it), kept in the browser's cookie and on the account;
each page's visible text and the labels a screen reader or a tooltip shows are collected, the data on the page
(names, ids, batch and project names, comments, time zone) is taken out, and any ASCII word left fails the test.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, Page, expect

from projects.access.roles import ANNOTATOR
from projects.models import LanguagePreference, SlaStatus
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_portal_batch_state import DECISION_COMMENT, PASSWORD, make_rejected_batch
from tests.factories import UserFactory
from tests.web.review_world import CONVERSATIONS, DEMO_CONFIG, build_review_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words that are data or names, not interface: the product's and Label Studio's names, the switcher's
# "English" (a language is named in its own language), and the IANA time zone the times are given in.
NOT_INTERFACE = ["Label Studio", "annotate", "English", "Asia/Shanghai"]
# Visible text, and what a tooltip, a screen reader or an input's placeholder says.
PAGE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const element of document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      if (element.hasAttribute(name)) parts.push(element.getAttribute(name));
    }
  }
  return parts.join("\\n");
}"""
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
REASONS = [
    {
        "figure": "forecast",
        "verdict": "at_risk",
        "value": 6.0,
        "low": 4.5,
        "high": 9.0,
        "threshold": 2,
        "message": "forecast completion 2026-12-10 (range 2026-12-08 to 2026-12-13) is after the due date 2026-12-06",
    },
    {
        "figure": "gold_accuracy",
        "verdict": "breached",
        "value": 0.62,
        "low": 0.51,
        "high": 0.72,
        "threshold": 0.9,
        "message": "gold accuracy 0.62 (interval 0.51 to 0.72) wholly below the floor 0.9",
    },
]


def english_left(page: Page, data: list[str]) -> list[str]:
    """The ASCII words on the page once the data is taken out."""
    text = page.evaluate(PAGE_TEXT)
    for value in sorted({*data, *NOT_INTERFACE}, key=len, reverse=True):
        # Case aside: innerText gives what CSS shows, and table headings are set in capitals.
        text = re.sub(re.escape(value), " ", text, flags=re.IGNORECASE)
    return sorted(set(ASCII_WORD.findall(text)))


def assert_in_chinese(page: Page, data: list[str], where: str) -> None:
    left = english_left(page, data)
    assert not left, f"{where} ({page.url}) shows English: {left}"
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def new_page(browser: Browser) -> Page:
    # An English browser: Chinese comes from the person's choice, not from the browser's language.
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def sign_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("button[type=submit].primary").click()


def test_a_vendor_manager_and_an_annotator_read_every_vendor_page_in_chinese(live_server, browser, screenshot):
    world = make_rejected_batch()
    SlaStatus.objects.filter(batch=world.batch).update(reasons=REASONS)
    batch = world.batch
    annotator = world.annotator
    data = [
        batch.name,
        batch.project.name,
        batch.vendor.name,
        DECISION_COMMENT,
        "wrong scenario 场景错误",
        "missed evidence 漏看证据",
        "manager-huayu",
        "wang.fang",
        "qa.li",
        *(f"conv-{number}" for number in range(1024, 1030)),
    ]
    base = live_server.url

    # The vendor manager chooses Chinese on the login page, before signing in.
    manager = new_page(browser)
    manager.goto(f"{base}/accounts/login/")
    manager.get_by_role("button", name="简体中文").click()
    expect(manager.locator("h1")).to_have_text("登录")
    assert_in_chinese(manager, data, "the login page")
    screenshot(manager, "0-login")
    sign_in(manager, base, world.manager_username, password="not-the-password")
    expect(manager.locator(".error")).to_have_text("用户名或密码不正确，请重试。")
    assert_in_chinese(manager, data, "a failed sign-in")
    sign_in(manager, base, world.manager_username)
    manager.wait_for_url(f"{base}/")
    expect(manager.locator("h1")).to_have_text("我的批次")
    row = manager.get_by_role("row").filter(has_text=batch.name)
    expect(row).to_contain_text("12月6日 18:00 Asia/Shanghai")
    expect(row.locator(".badge-sla-at_risk")).to_have_text("有风险")
    expect(row.locator(".badge-rejected")).to_have_text("已驳回")
    assert_in_chinese(manager, data, "the vendor manager's portal")
    screenshot(manager, "1-manager-portal")

    manager.get_by_role("link", name=batch.name).click()
    manager.wait_for_url(f"{base}/batches/{batch.pk}/")
    expect(manager.locator(".rejection h2")).to_have_text("质检驳回本批次的原因")
    expect(manager.locator(".sla-reasons")).to_contain_text("金标准确率为 0.62（区间 0.51 至 0.72），整体低于下限 0.9")
    expect(manager.locator(".rejection")).to_contain_text("2026年12月")
    assert_in_chinese(manager, data, "the vendor manager's batch page")
    screenshot(manager, "2-manager-batch")

    manager.goto(f"{base}/")
    manager.get_by_role("link", name=annotator.user.username).click()
    manager.wait_for_url(f"{base}/annotators/{annotator.pk}/")
    expect(manager.locator("h2").first).to_have_text("驳回反馈")
    assert_in_chinese(manager, data, "an annotator's scorecard")

    manager.goto(f"{base}/review/")
    expect(manager.locator("h1")).to_have_text("质检页面仅供质检人员使用")
    assert_in_chinese(manager, data, "the QA review pages, closed to vendors")
    assert LanguagePreference.objects.get(user__username=world.manager_username).language == "zh-hans"

    # The annotator signs in in English, switches to Chinese once, and keeps it in another browser.
    first = new_page(browser)
    sign_in(first, base, annotator.user.username)
    first.wait_for_url(f"{base}/")
    expect(first.locator("h1")).to_have_text("Your batches")
    first.get_by_role("button", name="简体中文").click()
    expect(first.locator("h1")).to_have_text("我的批次")
    first.context.close()

    page = new_page(browser)
    sign_in(page, base, annotator.user.username)
    page.wait_for_url(f"{base}/")
    expect(page.locator("h1")).to_have_text("我的批次")
    expect(page.get_by_role("link", name="去 Label Studio 返工（待返工 3 条）→").first).to_be_visible()
    assert_in_chinese(page, data, "the annotator's portal")
    screenshot(page, "3-annotator-portal")

    page.get_by_role("link", name=batch.name).click()
    page.wait_for_url(f"{base}/batches/{batch.pk}/")
    expect(page.get_by_role("link", name="去 Label Studio 标注 →")).to_be_visible()
    assert_in_chinese(page, data, "the annotator's batch page")

    page.goto(f"{base}/review/batches/{batch.pk}/")
    expect(page.locator("h1")).to_have_text("质检页面仅供质检人员使用")
    assert_in_chinese(page, data, "a review queue, closed to annotators")

    # Back to English from the switcher, on any page.
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1")).to_have_text("QA review is for reviewers")


def test_an_account_without_a_role_and_a_locked_out_sign_in_read_chinese(live_server, browser):
    newcomer = UserFactory(username="new.hire")
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="简体中文").click()
    sign_in(page, live_server.url, newcomer.username)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("尚未开通权限")
    assert_in_chinese(page, ["new.hire"], "the no-role page")
    page.get_by_role("button", name="退出登录").click()

    Group.objects.get(name=ANNOTATOR).user_set.add(UserFactory(username="locked.out"))
    for _attempt in range(5):
        sign_in(page, live_server.url, "locked.out", password="wrong-password")
    expect(page.locator("h1")).to_have_text("登录失败次数过多")
    assert_in_chinese(page, ["locked.out"], "the locked-out page")


def review_data(world) -> list[str]:
    """What the review pages show of the batch's data: the conversations, the label config's own (bilingual)
    titles, the people, the categories, the model and the ids."""
    config_titles = re.findall(r'value="([^"$]+)"', DEMO_CONFIG)
    turns = [turn[key] for _, _, dialogue in CONVERSATIONS for turn in dialogue for key in ("author", "text")]
    categories = [text for category in world.categories for text in (category.name, category.description)]
    batch = world.batch
    return [
        *config_titles,
        *turns,
        *categories,
        str(batch),
        batch.name,
        batch.project.name,
        batch.vendor.name,
        *(external_id for external_id, _, _ in CONVERSATIONS),
        "zh-gold-1",
        "mei.chen",
        "tom.baker",
        "qa.li",
        "triage-v3",
        "scenario",
        "resolved",
        "hallucination",
        "dialogue",
        # Keys as printed on the keyboard, and the name of the consensus model.
        "Esc",
        "Enter",
        "Dawid-Skene",
    ]


def test_a_qa_reviewer_reads_the_queue_the_verdict_panels_and_adjudication_in_chinese(live_server, page, screenshot):
    world = build_review_world()
    data = review_data(world)
    base = live_server.url
    queue = f"{base}/review/batches/{world.batch.pk}/"

    page.goto(f"{base}/accounts/login/?next=/review/")
    page.get_by_role("button", name="简体中文").click()
    sign_in(page, base, world.reviewer.username)
    page.wait_for_url(f"{base}/review/")
    expect(page.locator("h1")).to_contain_text("质检")
    assert_in_chinese(page, data, "the review home")

    page.get_by_role("link", name="打开队列").click()
    page.wait_for_url(queue)
    expect(page.locator(".queue-progress")).to_contain_text("已质检 0 / 8")
    expect(page.locator(".reasons")).to_contain_text("属于该标注员在本项目的前几条任务")
    page.keyboard.press("o")
    assert_in_chinese(page, data, "the review queue")
    screenshot(top_of_page(page), "1-review-queue")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_contain_text("通过该标注")
    assert_in_chinese(page, data, "the queue's shortcuts")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    expect(page.locator("#reject-panel")).to_be_visible()
    assert_in_chinese(page, data, "the reject panel")
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    expect(page.locator("#correct-panel")).to_be_visible()
    assert_in_chinese(page, data, "the correct panel")
    page.keyboard.press("Escape")

    page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("通过：任务")
    expect(page.locator(".queue-progress")).to_contain_text("已质检 1 / 8")
    assert_in_chinese(page, data, "the queue after a verdict")

    # Deciding while 7 of the 8 are unreviewed: the refusal reads in Chinese too.
    page.get_by_role("button", name="判定批次").click()
    expect(page.locator(".message-error")).to_have_text(f"{world.batch} 的 8 条抽样标注中还有 7 条未质检。")
    assert_in_chinese(page, data, "a refused decision")

    page.goto(f"{queue}adjudicate/")
    expect(page.locator("h1")).to_contain_text("仲裁")
    assert_in_chinese(page, data, "adjudication")
    screenshot(top_of_page(page), "2-adjudication")
    page.locator("#adjudicate-form button[type=submit]").click()
    # Nothing picked: the browser's own "fill in this field" stops the form, or the page says to pick first.
    page.keyboard.press("Enter")
    expect(page.locator("#choose-first")).to_be_visible()
    assert_in_chinese(page, data, "adjudication without a pick")


def top_of_page(page: Page) -> Page:
    page.evaluate("window.scrollTo(0, 0)")
    return page
