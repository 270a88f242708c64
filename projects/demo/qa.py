"""Last week in the demo without Label Studio: both W47 batches labeled, sampled, reviewed and decided.

`demo` without `--label-studio` has no server to label through, so it records last week's labels as a pull
would have stored them, then QA works them as a reviewer would, against the demo's hidden answer key:
- Lingua Works labeled its batch cleanly (every label as the answer key says), so its sample, at least the
  clean reviews the project's acceptable quality level needs (73 at AQL 5%), accepts the batch;
- Huayu Data's batch was labeled by its workforce profiles, the spammer who clicks one answer included, so
  its reviewers reject what is wrong and the batch is rejected.
This week's batches stay unlabeled, for a person to try. `demo --label-studio` labels through the servers
instead, and leaves the review queue to the `qa` account.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from projects.audit import Actor
from projects.demo.services import ANNOTATORS
from projects.demo.simulation import PROFILES, Profile, simulated_answer, simulated_lead_time
from projects.labeling.label_config import answer_to_result, parse_label_config
from projects.models import Annotation, Annotator, Batch, BatchDecision, ErrorCategory, LabelingProject, Review, Task
from projects.quality.answer_key import load_answer_key
from projects.quality.review.verdicts import decide_batch, record_review
from projects.quality.sampling.review_queue import open_review_queue

LAST_WEEK = "2026-W47"
# The vendor whose last week was clean: its labels are the answer key's.
CLEAN_VENDOR = "lingua-works"
CLEAN = Profile("clean", {"scenario": 1.0, "resolved": 1.0, "hallucination": 1.0}, median_seconds=60, spread=0.3)
# The category a wrong label is rejected with (one of the default taxonomy).
WRONG_LABEL = "Wrong label"


@dataclass(frozen=True)
class DemoDecision:
    batch: Batch
    decision: BatchDecision


def work_last_week_offline(project: LabelingProject, *, seed: int) -> list[DemoDecision]:
    """Label, sample, review and decide last week's batches; idempotent: a batch with labels is left alone."""
    decisions = []
    for batch in project.batches.filter(name__startswith=LAST_WEEK).select_related("vendor").order_by("name"):
        if Annotation.objects.filter(task__batch=batch).exists():
            continue
        label_batch_offline(batch, seed=seed)
        decisions.append(DemoDecision(batch, review_and_decide(batch)))
    return decisions


def label_batch_offline(batch: Batch, *, seed: int) -> int:
    """Record `overlap` labels per task from the batch vendor's demo annotators, as a pull would store them."""
    truth = load_answer_key()
    config = parse_label_config(batch.project.label_config)
    rng = random.Random(f"{seed}-{batch.name}")
    annotators = list(Annotator.objects.filter(vendor=batch.vendor).select_related("user").order_by("user__username"))
    profiles = {item.username: PROFILES[item.profile] for item in ANNOTATORS}
    start = timezone.now() - dt.timedelta(days=7)
    annotations = []
    tasks = list(batch.tasks.order_by("id"))
    for position, task in enumerate(tasks):
        answer_key = truth.get(task.external_id)
        if answer_key is None:
            continue
        for annotator in rng.sample(annotators, k=min(batch.project.overlap, len(annotators))):
            profile = CLEAN if batch.vendor.slug == CLEAN_VENDOR else profiles[annotator.user.username]
            made_at = start + dt.timedelta(minutes=10 * position)
            annotations.append(
                Annotation(
                    task=task,
                    annotator=annotator,
                    result=answer_to_result(config, simulated_answer(rng, profile, answer_key)),
                    lead_time=simulated_lead_time(rng, profile),
                    created_at=made_at,
                    updated_at=made_at,
                )
            )
    with transaction.atomic():
        for annotation in annotations:
            annotation.save()  # one by one: the tallies follow each new annotation
        Task.objects.filter(pk__in=[task.pk for task in tasks]).update(status=Task.Status.ANNOTATED)
        batch.status = Batch.Status.DELIVERED
        batch.save(update_fields=["status"])
    return len(annotations)


def review_and_decide(batch: Batch) -> BatchDecision:
    """Draw the batch's QA sample, review each item against the answer key as `qa`, then decide the batch."""
    reviewer = get_user_model().objects.get(username="qa")
    truth = load_answer_key()
    wrong_label = ErrorCategory.objects.get(project=batch.project, name=WRONG_LABEL)
    sample = open_review_queue(
        batch=batch, actor=Actor.person(get_user_model().objects.get(username="pm"), via="command demo")
    )
    for item in sample.items.select_related("annotation__task").order_by("-weight", "id"):
        annotation = item.annotation
        expected = truth[annotation.task.external_id]
        given = {region["from_name"]: region["value"].get("choices", [None])[0] for region in annotation.result}
        wrong = [name for name, value in expected.items() if given.get(name) != value]
        record_review(
            annotation=annotation,
            actor=Actor.person(reviewer, via="command demo"),
            sample_item=item,
            verdict=Review.Verdict.REJECT if wrong else Review.Verdict.ACCEPT,
            error_category=wrong_label if wrong else None,
            severity=Review.Severity.MAJOR if wrong else None,
            comment=f"Wrong {', '.join(wrong)}: see the guidelines." if wrong else "",
        )
    return decide_batch(batch=batch, actor=Actor.person(reviewer, via="command demo"), sample=sample)
