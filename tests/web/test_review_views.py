"""The QA review pages through Django's test client: verdicts, adjudication, the batch decision, who gets in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Adjudication, Batch, BatchDecision, ItemConsensus, QASampleItem, Review
from projects.quality.review.queries import next_review_item
from tests.factories import BatchFactory, QASampleFactory, QASampleItemFactory
from tests.web.review_world import ReviewWorld, build_review_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> ReviewWorld:
    return build_review_world()


@pytest.fixture
def reviewer_client(client, world):
    client.force_login(world.reviewer)
    return client


def queue_url(world: ReviewWorld) -> str:
    return reverse("review-queue", kwargs={"batch_id": world.batch.pk})


def first_pending(world: ReviewWorld) -> QASampleItem:
    return next_review_item(reviewer=world.reviewer, batch=world.batch)


def test_home_lists_the_batch_with_its_review_progress(reviewer_client, world):
    response = reviewer_client.get(reverse("review-home"))

    assert response.status_code == 200
    body = response.content.decode()
    assert world.batch.name in body
    assert "0 / 8" in body
    assert "3 to adjudicate" in body
    assert "Open queue" in body


def test_queue_shows_one_item_with_conversation_labels_model_and_why_it_was_sampled(reviewer_client, world):
    item = first_pending(world)

    response = reviewer_client.get(queue_url(world))

    assert response.status_code == 200
    assert response.context["detail"].item == item
    body = response.content.decode()
    assert body.count('name="item" value=') == 3  # accept, reject and correct: one item on the page
    assert "你好，我上周买的蓝牙耳机左耳没有声音，想申请退款。" in body
    assert "Refund 退款" in body  # labels shown with the config's titles, not the aliases
    assert "triage-v3" in body
    assert "among the annotator&#x27;s first tasks in the project" in body
    assert "Other annotators' labels (1)" in body
    for key in ("Accept <kbd>a</kbd>", "Reject <kbd>r</kbd>", "Correct <kbd>c</kbd>", "<kbd>?</kbd>"):
        assert key in body


def test_a_gold_item_shows_the_gold_answer(reviewer_client, world):
    item = world.sample.items.get(annotation=world.annotations[("zh-gold-1", "tom.baker")])

    response = reviewer_client.get(queue_url(world), {"item": item.pk})

    body = response.content.decode()
    assert "Gold answer" in body
    assert "Return 退货" in body
    assert "Exchange size 换尺码" in body  # what tom.baker chose


def test_accept_records_who_and_when_and_goes_to_the_next_pending_item(reviewer_client, world):
    item = first_pending(world)

    response = reviewer_client.post(queue_url(world), {"item": item.pk, "verdict": "accept"}, follow=True)

    review = Review.objects.get(sample_item=item)
    assert (review.verdict, review.reviewer, review.annotation) == ("accept", world.reviewer, item.annotation)
    assert review.created_at is not None
    item.refresh_from_db()
    assert item.status == QASampleItem.Status.REVIEWED
    assert response.redirect_chain == [(queue_url(world), 302)]
    shown = response.context["detail"].item
    assert shown != item
    assert shown.status == QASampleItem.Status.PENDING
    assert "1 / 8" in response.content.decode()


def test_reject_records_the_error_category_severity_and_comment(reviewer_client, world):
    item = first_pending(world)
    category = world.categories[0]

    response = reviewer_client.post(
        queue_url(world),
        {
            "item": item.pk,
            "verdict": "reject",
            "error_category": category.pk,
            "severity": "major",
            "comment": "买家要的是退款，不是退货。",
        },
    )

    assert response.status_code == 302
    review = Review.objects.get(sample_item=item)
    assert (review.verdict, review.error_category, review.severity) == ("reject", category, "major")
    assert review.comment == "买家要的是退款，不是退货。"
    assert review.reviewer == world.reviewer


def test_reject_without_an_error_category_is_refused_with_a_clear_message(reviewer_client, world):
    item = first_pending(world)

    response = reviewer_client.post(
        queue_url(world), {"item": item.pk, "verdict": "reject", "severity": "minor", "comment": "not right"}
    )

    assert response.status_code == 400
    assert "A rejection needs an error category." in response.content.decode()
    assert not Review.objects.exists()
    item.refresh_from_db()
    assert item.status == QASampleItem.Status.PENDING
    # The same item stays on the page, the reject panel open with the comment kept.
    assert response.context["detail"].item == item
    assert 'aria-labelledby="reject-title" data-open="true"' in response.content.decode()
    assert "not right</textarea>" in response.content.decode()


def test_reject_with_another_projects_category_is_refused(reviewer_client, world):
    other = BatchFactory()
    foreign_category = other.project.error_categories.create(name="elsewhere")
    item = first_pending(world)

    response = reviewer_client.post(
        queue_url(world),
        {"item": item.pk, "verdict": "reject", "error_category": foreign_category.pk, "severity": "minor"},
    )

    assert response.status_code == 400
    assert not Review.objects.exists()


def test_correct_stores_the_reviewers_label_per_control(reviewer_client, world):
    annotation = world.annotations[("en-late-1", "tom.baker")]
    item = world.sample.items.get(annotation=annotation)

    response = reviewer_client.post(
        queue_url(world),
        {
            "item": item.pk,
            "verdict": "correct",
            "control-scenario": "late_delivery",
            "control-resolved": "partly",
            "control-hallucination": "no",
            "comment": "The parcel is late, not lost.",
        },
    )

    assert response.status_code == 302
    review = Review.objects.get(sample_item=item)
    assert review.verdict == "correct"
    assert review.reviewer == world.reviewer
    choices = {region["from_name"]: region["value"]["choices"] for region in review.corrected_result}
    assert choices == {"scenario": ["late_delivery"], "resolved": ["partly"], "hallucination": ["no"]}


def test_a_correction_that_changes_nothing_is_refused(reviewer_client, world):
    annotation = world.annotations[("zh-refund-1", "mei.chen")]
    item = world.sample.items.get(annotation=annotation)

    response = reviewer_client.post(
        queue_url(world),
        {
            "item": item.pk,
            "verdict": "correct",
            "control-scenario": "refund",
            "control-resolved": "yes",
            "control-hallucination": "no",
        },
    )

    assert response.status_code == 400
    assert "accept it instead" in response.content.decode()
    assert not Review.objects.exists()


def test_moving_through_items_by_id_and_unknown_ids_answer_404(reviewer_client, world):
    order = list(world.sample.items.order_by("-weight", "id").values_list("id", flat=True))

    second = reviewer_client.get(queue_url(world), {"item": order[1]})
    assert second.context["previous_item"] == order[0]
    assert second.context["next_item"] == order[2]

    other_sample_item = QASampleItemFactory(sample=QASampleFactory())
    assert reviewer_client.get(queue_url(world), {"item": other_sample_item.pk}).status_code == 404
    assert reviewer_client.get(queue_url(world), {"item": "1; drop"}).status_code == 404
    foreign_verdict = {"item": other_sample_item.pk, "verdict": "accept"}
    assert reviewer_client.post(queue_url(world), foreign_verdict).status_code == 404


def test_adjudication_shows_every_annotators_label_and_stores_the_final_one(reviewer_client, world):
    disputed = world.disputed()
    url = reverse("review-adjudicate", kwargs={"batch_id": world.batch.pk})

    page = reviewer_client.get(url, {"item": disputed.pk})
    body = page.content.decode()
    assert "mei.chen" in body and "tom.baker" in body
    assert "Late delivery 物流延迟" in body and "Not received 未收到货" in body

    response = reviewer_client.post(url, {"item": disputed.pk, "label": "late_delivery", "comment": "courier scan"})

    assert response.status_code == 302
    adjudication = Adjudication.objects.get(task=disputed.task, control_name="scenario")
    assert (adjudication.label, adjudication.adjudicator) == ("late_delivery", world.reviewer)
    disputed.refresh_from_db()
    assert (disputed.label, disputed.needs_adjudication, disputed.method) == (
        "late_delivery",
        False,
        ItemConsensus.Method.ADJUDICATION,
    )


def test_adjudication_without_a_label_is_refused(reviewer_client, world):
    url = reverse("review-adjudicate", kwargs={"batch_id": world.batch.pk})

    response = reviewer_client.post(url, {"item": world.disputed().pk})

    assert response.status_code == 400
    assert "Choose the final label" in response.content.decode()
    assert not Adjudication.objects.exists()


def test_deciding_before_every_item_is_reviewed_is_refused(reviewer_client, world):
    response = reviewer_client.post(reverse("review-decide", kwargs={"batch_id": world.batch.pk}), follow=True)

    assert "8 of 8 sampled annotations" in response.content.decode()
    assert not BatchDecision.objects.exists()


def test_project_manager_decides_the_batch_and_sees_the_result(client, world):
    client.force_login(world.project_manager)
    items = list(world.sample.items.order_by("id"))
    for position, item in enumerate(items):
        data = {"item": item.pk, "verdict": "accept"}
        if position == 0:
            data = {**data, "verdict": "reject", "error_category": world.categories[0].pk, "severity": "minor"}
        assert client.post(queue_url(world), data).status_code == 302

    response = client.post(reverse("review-decide", kwargs={"batch_id": world.batch.pk}), follow=True)

    decision = BatchDecision.objects.get(batch=world.batch)
    assert (decision.sample_size, decision.errors, decision.decided_by) == (8, 1, world.project_manager)
    body = response.content.decode()
    assert "Batch accepted" in body
    assert "12.5%" in body  # 1 error in 8
    assert "50.0%" in body  # the AQL
    assert f"{decision.upper_bound:.1%}" in body
    world.batch.refresh_from_db()
    assert world.batch.status == Batch.Status.ACCEPTED


@pytest.mark.parametrize("who", ["vendor_manager", "annotator_user"])
def test_vendor_roles_get_403_on_every_review_page(client, world, who):
    client.force_login(getattr(world, who))
    batch = {"batch_id": world.batch.pk}
    item = first_pending(world)

    assert client.get(reverse("review-home")).status_code == 403
    assert client.get(reverse("review-queue", kwargs=batch)).status_code == 403
    assert client.post(reverse("review-queue", kwargs=batch), {"item": item.pk, "verdict": "accept"}).status_code == 403
    assert client.get(reverse("review-adjudicate", kwargs=batch)).status_code == 403
    adjudication = {"item": world.disputed().pk, "label": "refund"}
    assert client.post(reverse("review-adjudicate", kwargs=batch), adjudication).status_code == 403
    assert client.post(reverse("review-decide", kwargs=batch)).status_code == 403
    assert not Review.objects.exists()
    assert not Adjudication.objects.exists()
    assert not BatchDecision.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(queue_url(world))

    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("login"))
