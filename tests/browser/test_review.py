"""A QA reviewer works a batch's queue in the browser with the keyboard: accept, reject, correct, adjudicate."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from playwright.sync_api import Page, expect

from projects.models import Adjudication, ErrorCategory, ItemConsensus, Review
from projects.quality.review.queries import review_queue
from tests.web.review_world import PASSWORD, build_review_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def top_of_page(page: Page) -> Page:
    """Scrolled to the top, so the sticky conversation sits where a reviewer first sees it."""
    page.evaluate("window.scrollTo(0, 0)")
    return page


def sign_in(page: Page, base_url: str, username: str, next_path: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{next_path}")


def test_reviewer_accepts_rejects_corrects_and_adjudicates_from_the_keyboard(live_server, page, screenshot):
    world = build_review_world()
    first, second, third = list(review_queue(batch=world.batch)[:3])
    queue = f"{live_server.url}/review/batches/{world.batch.pk}/"
    progress = page.locator(".queue-progress")

    sign_in(page, live_server.url, world.reviewer.username, "/review/")
    expect(page.get_by_role("row").filter(has_text=world.batch.name)).to_contain_text("0 / 8")
    screenshot(page, "0-home")
    page.get_by_role("link", name="Open queue").click()
    page.wait_for_url(queue)

    # The first item: a Mandarin conversation, the annotator's label and the model's, why it was sampled.
    expect(page.locator(".conversation")).to_contain_text("你好，我上周买的蓝牙耳机左耳没有声音，想申请退款。")
    expect(page.locator(".annotator-label")).to_contain_text("Refund 退款")
    expect(page.locator(".prediction")).to_contain_text("triage-v3")
    expect(page.locator(".reasons")).to_contain_text("first tasks")
    others = page.locator("details.others")
    expect(others.locator(".other")).to_be_hidden()
    page.keyboard.press("o")
    expect(others.locator(".other").first).to_be_visible()
    screenshot(top_of_page(page), "1-queue")

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()

    # a: accept, and the next pending item comes up.
    page.keyboard.press("a")
    expect(progress).to_contain_text("1 / 8 reviewed")
    expect(page.locator(".messages")).to_contain_text("Accept")

    # k and j move back over the reviewed item and forward again.
    page.keyboard.press("k")
    page.wait_for_url(f"{queue}?item={first.pk}")
    expect(page.locator(".item-nav")).to_contain_text("reviewed")
    page.keyboard.press("j")
    page.wait_for_url(f"{queue}?item={second.pk}")

    # r: reject with an error category, a severity and a comment.
    page.keyboard.press("r")
    reject = page.locator("#reject-panel")
    expect(reject.get_by_label("Error category")).to_be_focused()
    reject.get_by_label("Error category").select_option(label="wrong scenario")
    reject.get_by_label("Major").check()
    reject.get_by_label("Comment for the annotator").fill("场景选错了：买家要的是退款。")
    screenshot(top_of_page(page), "2-reject")
    reject.get_by_role("button", name="Reject annotation").click()
    expect(progress).to_contain_text("2 / 8 reviewed")

    # c: correct the scenario on the item that comes next.
    expect(page.locator(".item-nav")).to_contain_text(third.annotation.task.external_id)
    page.keyboard.press("c")
    correct = page.locator("#correct-panel")
    correct.get_by_label("Wrong item 发错货").check()
    correct.get_by_role("button", name="Save correction").click()
    expect(progress).to_contain_text("3 / 8 reviewed")

    verdicts = {review.sample_item_id: review for review in Review.objects.select_related("error_category")}
    assert verdicts[first.pk].verdict == "accept"
    assert verdicts[second.pk].verdict == "reject"
    assert verdicts[second.pk].error_category.name == "wrong scenario"
    assert (verdicts[second.pk].severity, verdicts[second.pk].comment) == ("major", "场景选错了：买家要的是退款。")
    assert verdicts[third.pk].verdict == "correct"
    corrected = {region["from_name"]: region["value"] for region in verdicts[third.pk].corrected_result}
    assert corrected["scenario"] == {"choices": ["wrong_item"]}
    assert {review.reviewer_id for review in verdicts.values()} == {world.reviewer.pk}

    # Adjudication: every annotator's label, and the reviewer picks the final one.
    disputed = world.disputed()
    page.get_by_role("link", name="Adjudicate (3)").click()
    page.goto(f"{queue}adjudicate/?item={disputed.pk}")
    expect(page.get_by_role("heading", name="Every annotator's label")).to_be_visible()
    expect(page.locator(".review-side")).to_contain_text("mei.chen")
    expect(page.locator(".review-side")).to_contain_text("tom.baker")
    page.get_by_label("Late delivery 物流延迟").check()
    screenshot(top_of_page(page), "3-adjudicate")
    page.get_by_role("button", name="Save final label").click()
    expect(page.locator(".messages")).to_contain_text("Adjudicated scenario of en-late-1")

    adjudication = Adjudication.objects.get(task=disputed.task, control_name="scenario")
    assert (adjudication.label, adjudication.adjudicator_id) == ("late_delivery", world.reviewer.pk)
    disputed.refresh_from_db()
    assert (disputed.needs_adjudication, disputed.method) == (False, ItemConsensus.Method.ADJUDICATION)


def test_a_vendor_manager_is_turned_away(live_server, page):
    world = build_review_world()

    sign_in(page, live_server.url, world.vendor_manager.username, "/")
    response = page.goto(f"{live_server.url}/review/batches/{world.batch.pk}/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("QA review is for reviewers")


def test_a_new_project_rejects_with_its_default_categories_and_an_empty_taxonomy_says_where_to_add_them(
    live_server, page, screenshot
):
    world = build_review_world(categories="default")
    queue = f"{live_server.url}/review/batches/{world.batch.pk}/"
    progress = page.locator(".queue-progress")
    sign_in(page, live_server.url, world.reviewer.username, f"/review/batches/{world.batch.pk}/")
    expect(page.locator("#acceptance-rule")).to_have_text(
        "With AQL 50.0%, a sample needs at least 4 clean reviews to accept."
    )

    # r: the default taxonomy is there from the start; reject with one of its categories.
    page.keyboard.press("r")
    reject = page.locator("#reject-panel")
    category = reject.get_by_label("Error category")
    expect(category).to_be_focused()
    expect(category.locator("option")).to_have_text(
        ["— choose —", "Ambiguous or unclear", "Guideline violation", "Missed or partial", "Other", "Wrong label"]
    )
    category.select_option(label="Missed or partial")
    reject.get_by_label("Minor").check()
    screenshot(top_of_page(page), "1-default-categories")
    reject.get_by_role("button", name="Reject annotation").click()
    expect(progress).to_contain_text("1 / 8 reviewed")
    review = Review.objects.select_related("error_category").get()
    assert (review.verdict, review.error_category.name, review.severity) == ("reject", "Missed or partial", "minor")

    # Every category retired: the panel says where categories are edited, and the keys keep working.
    ErrorCategory.objects.filter(project=world.batch.project).update(active=False)
    page.goto(queue)
    page.keyboard.press("r")
    expect(reject).to_contain_text("has no active error categories, and a rejection needs one")
    expect(reject).to_contain_text("A project manager adds them in the admin under Projects › Error categories.")
    expect(reject.locator("select")).to_have_count(0)
    expect(reject.get_by_role("heading", name="Reject")).to_be_focused()
    screenshot(top_of_page(page), "2-no-categories")
    page.keyboard.press("a")
    expect(progress).to_contain_text("2 / 8 reviewed")

    # A project manager, who may add categories, gets the link to them.
    page.context.clear_cookies()
    sign_in(page, live_server.url, world.project_manager.username, f"/review/batches/{world.batch.pk}/")
    page.keyboard.press("r")
    link = reject.get_by_role("link", name="Projects › Error categories")
    expect(link).to_be_focused()
    assert link.get_attribute("href").endswith(f"?project__id__exact={world.batch.project_id}")


def test_adjudication_reaches_every_option_by_key_never_saves_unchosen_and_revises_with_a_reason(
    live_server, page, screenshot
):
    world = build_review_world()
    disputed = world.disputed()
    adjudicate_url = f"{live_server.url}/review/batches/{world.batch.pk}/adjudicate/"
    sign_in(page, live_server.url, world.reviewer.username, f"/review/batches/{world.batch.pk}/adjudicate/")
    page.goto(f"{adjudicate_url}?item={disputed.pk}")
    options = page.locator("#adjudication-options label")
    expect(options).to_have_count(12)
    # Every option shows its key: 1–9, 0, then letters.
    expect(options.locator("kbd")).to_have_text(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "a", "b"])
    checked = page.locator("input[name=label]:checked")

    # The twelfth option is reached by its key, b; the tenth by 0.
    page.keyboard.press("b")
    expect(checked).to_have_value("price_adjustment")
    page.keyboard.press("0")
    expect(checked).to_have_value("cancel_order")

    # / filters; Enter in the filter picks the only match and saves nothing.
    page.reload()
    page.keyboard.press("/")
    expect(page.locator("#option-filter")).to_be_focused()
    page.keyboard.type("late")
    expect(options.filter(visible=True)).to_have_count(1)
    page.keyboard.press("Enter")
    expect(checked).to_have_value("late_delivery")
    assert not Adjudication.objects.exists()

    # With nothing picked, Enter does not save: the page asks for a choice.
    page.reload()
    page.keyboard.press("/")
    page.keyboard.press("Enter")  # several matches: the first option takes the focus, unpicked
    expect(page.locator("input[name=label]").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#choose-first")).to_be_visible()
    assert not Adjudication.objects.exists()

    # A key, then Enter: saved.
    page.keyboard.press("6")
    expect(checked).to_have_value("late_delivery")
    screenshot(top_of_page(page), "1-keys")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Adjudicated scenario of en-late-1")
    first = Adjudication.objects.get()
    assert (first.label, first.adjudicator_id, first.revises_id) == ("late_delivery", world.reviewer.pk, None)

    # The settled item is listed; a revision needs a reason and keeps the first adjudication.
    settled = page.locator(".settled")
    expect(settled).to_contain_text("en-late-1 · scenario: Late delivery 物流延迟")
    settled.get_by_role("link", name="en-late-1 · scenario").click()
    expect(page.locator("#current-adjudication")).to_contain_text("Settled as Late delivery 物流延迟 by qa.li")
    page.keyboard.press("3")
    expect(checked).to_have_value("not_received")
    page.get_by_role("button", name="Save the revision").click()
    assert Adjudication.objects.count() == 1, "a revision without a reason is not sent"
    page.get_by_label("Why you revise it (required)").fill("The tracking page says delivered to a locker.")
    screenshot(top_of_page(page), "2-revise")
    page.get_by_role("button", name="Save the revision").click()
    expect(page.locator(".messages")).to_contain_text("Revised scenario of en-late-1")
    expect(page.locator("#current-adjudication")).to_contain_text("Settled as Not received 未收到货")
    page.locator("#adjudication-history summary").click()
    expect(page.locator("#adjudication-history")).to_contain_text("Late delivery 物流延迟 by qa.li")

    revision = Adjudication.objects.get(revises=first)
    assert (revision.label, revision.comment) == ("not_received", "The tracking page says delivered to a locker.")
    entry = LogEntry.objects.get_for_object(revision).get()
    assert entry.actor == world.reviewer and entry.changes_dict["revises"][1] == str(first.pk)
    assert ItemConsensus.objects.get(pk=disputed.pk).label == "not_received"
