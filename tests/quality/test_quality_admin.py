"""The quality admin: the PM edits the error taxonomy; samples, reviews, consensus and decisions are read-only lists."""

from __future__ import annotations

import pytest

from projects.access.roles import PROJECT_MANAGER, QA_REVIEWER
from projects.quality.consensus.build import aggregate_batch
from projects.quality.review.verdicts import record_review
from projects.quality.sampling.qa_sample import draw_qa_sample
from tests.actors import actor_for
from tests.factories import ErrorCategoryFactory, member_of
from tests.quality.simulated_workforce import simulate_batch

pytestmark = pytest.mark.django_db
LISTS = ("qasample", "qasampleitem", "review", "adjudication", "itemconsensus", "goldretirement", "batchdecision")


def test_a_project_manager_adds_error_categories_and_reads_every_quality_list(client):
    simulated = simulate_batch(seed=2, tasks=20)
    manager = member_of(PROJECT_MANAGER, is_staff=True)
    sample = draw_qa_sample(batch=simulated.batch, seed=1, actor=actor_for(manager))
    category = ErrorCategoryFactory(project=simulated.project, name="wrong scenario")
    record_review(
        annotation=sample.items.first().annotation,
        actor=actor_for(manager),
        verdict="reject",
        error_category=category,
        severity="minor",
    )
    aggregate_batch(batch=simulated.batch)
    client.force_login(manager)

    added = client.post(
        "/admin/projects/errorcategory/add/",
        {"project": simulated.project.pk, "name": "missed hallucination", "description": "", "active": "on"},
    )

    assert added.status_code == 302
    for model in LISTS:
        page = client.get(f"/admin/projects/{model}/")
        assert page.status_code == 200, model
        assert client.get(f"/admin/projects/{model}/add/").status_code == 403
    assert client.get("/admin/projects/errorcategory/").status_code == 200


def test_a_qa_reviewer_reads_the_taxonomy_but_cannot_change_it(client):
    category = ErrorCategoryFactory()
    client.force_login(member_of(QA_REVIEWER, is_staff=True))

    assert client.get("/admin/projects/errorcategory/").status_code == 200
    assert client.get("/admin/projects/review/").status_code == 200
    page = client.post(f"/admin/projects/errorcategory/{category.pk}/change/", {"name": "renamed"})
    assert page.status_code == 403
