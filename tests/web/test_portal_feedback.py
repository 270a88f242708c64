"""Vendors read QA's verdicts on their own work: comments on rejections and their acceptance rate, never a rival's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from projects.access.roles import ANNOTATOR, QA_REVIEWER, VENDOR_MANAGER, ensure_roles
from projects.models import Review, VendorManager
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

pytestmark = pytest.mark.django_db


def _reviewed_annotation(project, vendor, annotator, reviewer, *, verdict, comment, external_id):
    batch = BatchFactory(project=project, vendor=vendor)
    task = TaskFactory(project=project, batch=batch, external_id=external_id)
    annotation = AnnotationFactory(task=task, annotator=annotator)
    category = ErrorCategoryFactory(project=project, name=f"wrong scenario {external_id}")
    return Review.objects.create(
        annotation=annotation,
        reviewer=reviewer,
        verdict=verdict,
        error_category=category if verdict == Review.Verdict.REJECT else None,
        severity=Review.Severity.MAJOR if verdict == Review.Verdict.REJECT else "",
        comment=comment,
    )


@pytest.fixture
def reviewed(client):
    ensure_roles()
    project = LabelingProjectFactory()
    reviewer = UserFactory(username="quinn")
    reviewer.groups.add(Group.objects.get(name=QA_REVIEWER))
    ours, rival = VendorFactory(name="Lingua Works"), VendorFactory(name="Rival Data")
    mei = AnnotatorFactory(vendor=ours)
    mei.user.groups.add(Group.objects.get(name=ANNOTATOR))
    other = AnnotatorFactory(vendor=rival)
    _reviewed_annotation(
        project, ours, mei, reviewer, verdict="reject", comment="买家要的是退货，不是退款", external_id="conv-ours-1"
    )
    _reviewed_annotation(project, ours, mei, reviewer, verdict="accept", comment="", external_id="conv-ours-2")
    _reviewed_annotation(
        project, rival, other, reviewer, verdict="reject", comment="rival-only comment", external_id="conv-rival-1"
    )
    manager = UserFactory()
    manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=manager, vendor=ours)
    return {"manager": manager, "annotator": mei}


def test_an_annotator_reads_the_reviewers_comment_on_their_rejected_work(client, reviewed):
    client.force_login(reviewed["annotator"].user)
    page = client.get("/").content.decode()
    assert "买家要的是退货，不是退款" in page
    assert "conv-ours-1" in page and "Major" in page
    assert "rival-only comment" not in page and "conv-rival-1" not in page
    assert "quinn" not in page  # the reviewer is not named to vendors


def test_a_vendor_manager_sees_qa_acceptance_of_their_annotator(client, reviewed):
    client.force_login(reviewed["manager"])
    scorecard = client.get(f"/annotators/{reviewed['annotator'].pk}/").content.decode()
    assert "50%" in scorecard  # one of two reviewed annotations accepted
    assert "买家要的是退货，不是退款" in scorecard
    assert "rival-only comment" not in scorecard


def test_the_reviews_api_gives_vendors_the_comment_but_not_the_reviewer(client, reviewed):
    client.force_login(reviewed["manager"])
    reviews = client.get("/api/v1/reviews/").json()["results"]
    assert {review["external_id"] for review in reviews} == {"conv-ours-1", "conv-ours-2"}
    assert {review["reviewer"] for review in reviews} == {None}
    assert "买家要的是退货，不是退款" in {review["comment"] for review in reviews}

    pm = UserFactory(is_superuser=True)
    client.force_login(pm)
    assert {review["reviewer"] for review in client.get("/api/v1/reviews/").json()["results"]} == {"quinn"}
