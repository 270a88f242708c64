"""`demo --label-studio`: the demo batches reach Label Studio, the simulated workforce labels, annotate pulls."""

from __future__ import annotations

from collections import Counter

import pytest

from projects.demo.live import label_like_the_workforce, push_demo_batches
from projects.demo.services import build_demo
from projects.labelstudio.sync import sync_all
from projects.models import Annotation, LabelStudioConnection, Task

pytestmark = pytest.mark.labelstudio


def test_the_workforce_labels_through_label_studio_and_the_pull_attributes_each_label(
    label_studio_server, transactional_db, monkeypatch
):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
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
    sync_all(project_slug=result.project.slug)

    annotations = Annotation.objects.filter(task__project=result.project).select_related("annotator__user")
    assert annotations.count() == 48
    assert not annotations.filter(annotator__isnull=True).exists()
    spam = Counter(
        region["value"]["choices"][0]
        for annotation in annotations.filter(annotator__user__username="li.wei")
        for region in annotation.result
        if region["from_name"] == "scenario"
    )
    assert list(spam) == ["refund"]
    assert Task.objects.filter(project=result.project, status=Task.Status.ANNOTATED).count() == 24
