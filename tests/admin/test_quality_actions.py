"""A project manager draws a batch's QA sample from the batch list and is pointed at the review queue."""

from __future__ import annotations

import pytest

from projects.models import ItemConsensus, QASample
from tests.factories import UserFactory
from tests.quality.simulated_workforce import simulate_batch

pytestmark = pytest.mark.django_db


def test_drawing_the_sample_from_the_admin_aggregates_and_links_the_queue(client):
    simulated = simulate_batch(seed=5, tasks=40)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/projects/batch/",
        {"action": "draw_qa_sample", "_selected_action": [simulated.batch.pk]},
        follow=True,
    )

    sample = QASample.objects.get(batch=simulated.batch)
    drawn = sample.items.count()
    assert drawn > 0
    assert ItemConsensus.objects.filter(task__batch=simulated.batch).exists()
    page = response.content.decode()
    assert f"{drawn} annotations to review" in page
    assert f'href="/review/batches/{simulated.batch.pk}/"' in page

    # The batch id is the seed: a second click keeps the sample already drawn.
    client.post("/admin/projects/batch/", {"action": "draw_qa_sample", "_selected_action": [simulated.batch.pk]})
    assert QASample.objects.filter(batch=simulated.batch).count() == 1
