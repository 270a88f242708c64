"""`demo --label-studio`: the demo batches reach Label Studio, the simulated workforce labels, annotate pulls."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model

from projects.demo import live
from projects.demo.live import label_like_the_workforce, push_demo_batches
from projects.demo.services import LIVE_BATCH_NAMES, build_demo
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.sync import sync_all
from projects.models import (
    Annotation,
    ItemConsensus,
    LabelStudioConnection,
    LabelStudioProject,
    QASample,
    QASampleItem,
    SlaEvent,
    SlaPolicy,
    SlaStatus,
    Task,
    VendorRate,
)
from projects.quality.review.pages.queue import batches_for_review
from projects.reporting.costs import vendor_costs
from tests.actors import SYSTEM

pytestmark = pytest.mark.labelstudio


def test_the_workforce_labels_through_label_studio_and_the_pull_attributes_each_label(
    label_studio_server, transactional_db, settings
):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    result = build_demo(tasks_per_batch=8)
    # One shared test server: an Enterprise connection may serve both vendors (the demo runs one per vendor).
    LabelStudioConnection.objects.create(
        name="test enterprise",
        url=label_studio_server.url,
        edition=LabelStudioConnection.Edition.ENTERPRISE,
        token_env_var="ANNOTATE_TEST_LABEL_STUDIO_TOKEN",
    )

    assert push_demo_batches(result.project, say=lambda line: None) == 32
    made = label_like_the_workforce(result.project, seed=7, say=lambda line: None)
    # Last week's batches fully, this week's half: (8 + 8 + 4 + 4) tasks × overlap 2.
    assert made == 48
    assert label_like_the_workforce(result.project, seed=7, say=lambda line: None) == 0, "a rerun labels nothing twice"
    sync_all(project_slug=result.project.slug, actor=SYSTEM)

    live_batches = result.project.batches.filter(name__in=LIVE_BATCH_NAMES)  # the weeks before came as past work
    annotations = Annotation.objects.filter(task__batch__in=live_batches).select_related("annotator__user")
    assert annotations.count() == 48
    assert not Annotation.objects.filter(connection__isnull=False).exclude(pk__in=annotations).exists()
    assert not annotations.filter(annotator__isnull=True).exists()
    spam = Counter(
        region["value"]["choices"][0]
        for annotation in annotations.filter(annotator__user__username="li.wei")
        for region in annotation.result
        if region["from_name"] == "scenario"
    )
    assert list(spam) == ["refund"]
    assert Task.objects.filter(batch__in=live_batches, status=Task.Status.ANNOTATED).count() == 24


def _counts() -> dict[str, int]:
    return {
        "annotations": Annotation.objects.count(),
        "rates": VendorRate.objects.count(),
        "policies": SlaPolicy.objects.count(),
        "samples": QASample.objects.count(),
        "sample items": QASampleItem.objects.count(),
        "consensus": ItemConsensus.objects.count(),
        "sla statuses": SlaStatus.objects.count(),
        "sla events": SlaEvent.objects.count(),
    }


def test_the_demo_ends_priced_with_qa_samples_sla_states_and_webhooks_registered_after_the_labels(
    label_studio_server, transactional_db, monkeypatch, settings
):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    # Nothing listens here: a webhook registered before the labels would fail on each of them.
    settings.ANNOTATE_WEBHOOK_BASE_URL = "http://127.0.0.1:9"
    result = build_demo(tasks_per_batch=8)
    LabelStudioConnection.objects.create(
        name="test enterprise",
        url=label_studio_server.url,
        edition=LabelStudioConnection.Edition.ENTERPRISE,
        token_env_var="ANNOTATE_TEST_LABEL_STUDIO_TOKEN",
    )
    hooks_while_labeling = []
    label = live.label_like_the_workforce

    def label_and_look_for_hooks(project, *, seed, say):
        for label_studio_project in LabelStudioProject.objects.select_related("connection"):
            client = LabelStudioClient.for_connection(label_studio_project.connection)
            hooks_while_labeling.extend(client.list_webhooks(label_studio_project.label_studio_id))
        return label(project, seed=seed, say=say)

    monkeypatch.setattr(live, "label_like_the_workforce", label_and_look_for_hooks)

    outcome = live.work_the_demo(result.project, seed=7, say=lambda line: None)

    assert outcome.labeled == 48
    assert hooks_while_labeling == []
    assert outcome.webhooks == 4
    for label_studio_project in LabelStudioProject.objects.select_related("connection"):
        client = LabelStudioClient.for_connection(label_studio_project.connection)
        hooks = client.list_webhooks(label_studio_project.label_studio_id)
        assert [hook["id"] for hook in hooks] == [label_studio_project.webhook_id]

    costs = vendor_costs(project=result.project)
    assert {cost.vendor_name for cost in costs} == {"Lingua Works", "Huayu Data 华语数据"}
    for cost in costs:
        assert cost.labels and cost.unpriced_labels == 0 and cost.total_cost > 0 and cost.currency == "USD"

    # Last week's batches are fully labeled: they, and only they, have a sample in the qa account's queue.
    qa = get_user_model().objects.get(username="qa")
    queue = {row.batch.name: row for row in batches_for_review(qa)}
    assert set(queue) == {"2026-W47 Lingua Works", "2026-W47 Huayu Data"}
    for row in queue.values():
        assert row.sample is not None and row.sample.seed == row.batch.pk
        assert row.sample.items.filter(status=QASampleItem.Status.PENDING).exists()

    assert outcome.sla.checked == 4 + 8  # and the four earlier weeks' batches of both vendors
    assert SlaStatus.objects.filter(batch__project=result.project, checked_at__isnull=False).count() == 4 + 8

    before = _counts()
    build_demo(tasks_per_batch=8)
    again = live.work_the_demo(result.project, seed=7, say=lambda line: None)
    assert (again.pushed, again.labeled, again.sla.changes) == (0, 0, [])
    assert _counts() == before, "a rerun duplicates nothing"
