"""The bad-case loop on real parts: label in Label Studio, accept, build v1, evaluate a weak model, read its report
in the admin, send the bad cases back, label them, accept them, build v2 whose diff adds exactly those cases."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from projects.access.roles import PROJECT_MANAGER, QA_REVIEWER
from projects.datasets.builds import build_dataset_version
from projects.datasets.queries import diff_dataset_versions
from projects.evaluation.bad_cases import bad_case_batch_name, send_bad_cases
from projects.evaluation.runs import evaluate_predictions
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.exports import exported_tasks
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.push import push_batch
from projects.models import (
    Annotation,
    AnnotatorAccount,
    Batch,
    DatasetVersion,
    LabelStudioProject,
    PushedTask,
    QASampleItem,
    Review,
    Task,
)
from projects.quality.consensus.build import aggregate_batch
from projects.quality.review.verdicts import decide_batch, record_review
from projects.quality.sampling.qa_sample import draw_qa_sample
from tests.actors import SYSTEM, actor_for
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory, member_of
from tests.labelstudio.helpers import choice

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # UserFactory's

# The demo's layout (a dialogue in Paragraphs), cut down to its single-choice scenario control.
LABEL_CONFIG = """<View>
  <Header value="Conversation 对话"/>
  <Paragraphs name="dialogue" value="$dialogue" layout="dialogue" nameKey="author" textKey="text"/>
  <Header value="Aftersales scenario 售后场景"/>
  <Choices name="scenario" toName="dialogue" choice="single" required="true">
    <Choice value="Refund 退款" alias="refund"/>
    <Choice value="Not received 未收到货" alias="not_received"/>
    <Choice value="Damaged 商品损坏" alias="damaged"/>
    <Choice value="Wrong item 发错货" alias="wrong_item"/>
  </Choices>
</View>"""
LABELS = ["refund", "not_received", "damaged", "wrong_item"]
MESSAGES = {
    "refund": ("I want my money back for order {order}.", "订单{order}我要退款。"),
    "not_received": ("Order {order} never arrived.", "订单{order}一直没收到货。"),
    "damaged": ("The kettle in order {order} came cracked.", "订单{order}的水壶到货就裂了。"),
    "wrong_item": ("Order {order}: I ordered blue and got red.", "订单{order}发错货了，我要的是蓝色。"),
}
TASKS = 12
WRONG = {1, 4, 7, 10}  # the model's mistakes, made confidently
UNSURE = {5}  # right, but with a score under send_bad_cases' 0.6
OVERLAP = 3  # every task is labeled by all three of the vendor's annotators


def truth_of(external_id: str) -> str:
    """The scenario a conversation really is; a bad-case copy ("<id>~<run>") is the same conversation."""
    return LABELS[int(external_id.split("~")[0].rsplit("-", 1)[1]) % len(LABELS)]


def label_in_label_studio(label_studio_project: LabelStudioProject) -> int:
    """Each pushed task labeled with its true scenario by every annotator of the vendor, as themselves."""
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    accounts = list(AnnotatorAccount.objects.filter(connection=label_studio_project.connection).order_by("pk"))
    assert len(accounts) == OVERLAP
    made = 0
    for position, pushed in enumerate(
        PushedTask.objects.filter(label_studio_project=label_studio_project).select_related("task").order_by("pk")
    ):
        for offset, account in enumerate(accounts):
            client.create_annotation(
                pushed.label_studio_task_id,
                result=[choice("scenario", truth_of(pushed.task.external_id), to_name="dialogue")],
                completed_by=account.label_studio_user_id,
                lead_time=20.0 + position + offset,
            )
            made += 1
    return made


def pull_and_accept(batch: Batch, reviewer) -> None:
    """Pull the batch's labels, aggregate them, draw its QA sample, accept every sampled item, accept the batch."""
    label_studio_project = LabelStudioProject.objects.get(batch=batch, kind=LabelStudioProject.Kind.LABELING)
    made = label_in_label_studio(label_studio_project)
    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    assert run.created == made == batch.tasks.count() * OVERLAP
    assert Annotation.objects.filter(task__batch=batch, is_deleted=False).count() == made

    aggregation = aggregate_batch(batch=batch)
    assert aggregation.needs_adjudication == 0
    assert aggregation.consensus_rows == batch.tasks.count()

    sample = draw_qa_sample(batch=batch, seed=7, actor=actor_for(reviewer))
    items = list(sample.items.select_related("annotation"))
    assert items, "the QA sample is empty"
    for item in items:
        record_review(
            annotation=item.annotation, actor=actor_for(reviewer), verdict=Review.Verdict.ACCEPT, sample_item=item
        )
    assert not sample.items.filter(status=QASampleItem.Status.PENDING).exists()
    decision = decide_batch(batch=batch, actor=actor_for(reviewer), sample=sample)
    assert (decision.accepted, decision.errors, decision.sample_size) == (True, 0, len(items)), (
        f"batch {batch} rejected: upper bound {decision.upper_bound:.3f} vs AQL {decision.aql}"
    )
    batch.refresh_from_db()
    assert batch.status == Batch.Status.ACCEPTED


def write_weak_model_predictions(path, external_ids: list[str]):
    lines = []
    for number, external_id in enumerate(external_ids):
        truth = truth_of(external_id)
        wrong = number in WRONG
        lines.append(
            {
                "external_id": external_id,
                "prediction": LABELS[(LABELS.index(truth) + 1) % len(LABELS)] if wrong else truth,
                "score": 0.45 if number in UNSURE else (0.92 - number / 100 if wrong else 0.8 + number / 100),
                "latency_ms": 300 + 20 * number,
                "model": "triage-bot",
                "model_version": "weak-1",
            }
        )
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_bad_cases_flow_back_through_label_studio_into_the_next_dataset_version(
    live_server, vendor_connection, page, screenshot, tmp_path
):
    manager = member_of(PROJECT_MANAGER, username="pm.zhang", first_name="张伟", is_staff=True)
    reviewer = member_of(QA_REVIEWER, username="qa.li", first_name="李静", is_staff=True)
    # Every annotation of an annotator's first 20 tasks is reviewed, so a batch's whole work is its sample;
    # an AQL of 0.25 lets a clean sample of 15 (3.84 / (15 + 3.84) = 0.20) accept the small bad-case batch.
    project = LabelingProjectFactory(
        slug="aftersales-loop",
        name="售后场景分类 Aftersales loop",
        label_config=LABEL_CONFIG,
        overlap=OVERLAP,
        acceptable_quality_level=Decimal("0.25"),
    )
    first = BatchFactory(project=project, vendor=vendor_connection.vendor, name="w47 triage", target_count=TASKS)
    for number in range(TASKS):
        english, chinese = MESSAGES[LABELS[number % len(LABELS)]]
        zh = number % 2 == 1
        order = f"SO-2026-{number:06d}"
        TaskFactory(
            project=project,
            batch=first,
            external_id=f"conv-{number:02d}",
            language="zh" if zh else "en",
            data={
                "dialogue": [
                    {"author": "buyer", "text": (chinese if zh else english).format(order=order)},
                    {"author": "bot", "text": "亲，正在为您处理" if zh else "Let me look into it for you."},
                ]
            },
        )

    # 1. The first batch: pushed, labeled in Label Studio, pulled, aggregated, sampled, accepted; version 1.
    pushed = push_batch(batch=first, actor=SYSTEM)
    assert pushed.pushed == TASKS
    pull_and_accept(first, reviewer)
    v1 = build_dataset_version(project=project, actor=actor_for(manager))
    assert v1.number == 1 and v1.item_count == TASKS
    assert {item.external_id: item.label for item in v1.items.all()} == {
        f"conv-{number:02d}": {"scenario": truth_of(f"conv-{number:02d}")} for number in range(TASKS)
    }

    # 2. A weak model evaluated against version 1.
    external_ids = [f"conv-{number:02d}" for number in range(TASKS)]
    predictions = write_weak_model_predictions(tmp_path / "triage-bot-weak-1.jsonl", external_ids)
    run = evaluate_predictions(
        dataset_version=v1, control="scenario", predictions_path=predictions, actor=actor_for(manager)
    )
    expected_accuracy = (TASKS - len(WRONG)) / TASKS
    assert run.metrics["accuracy"] == pytest.approx(expected_accuracy)
    assert run.metrics["labels"] == LABELS
    assert {case["external_id"] for case in run.metrics["worst_cases"]} == {external_ids[n] for n in WRONG}

    # 3. The project manager reads the report in the admin.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/projects/evaluationrun/{run.pk}/report/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/projects/evaluationrun/{run.pk}/report/")
    expect(page.locator(".evaluation h2")).to_contain_text("triage-bot weak-1")
    expect(page.locator(".evaluation tr:has(th:text-is('Accuracy')) td")).to_have_text(f"{expected_accuracy:.3f}")
    heat_map = page.locator(".evaluation .charts svg.heat-map")
    expect(heat_map).to_be_visible()
    expect(heat_map).to_have_attribute("aria-label", "Confusion matrix")
    cells = heat_map.locator("rect.cell")
    expect(cells).to_have_count(len(LABELS) ** 2)
    values = {
        (cells.nth(index).get_attribute("data-row"), cells.nth(index).get_attribute("data-column")): int(
            cells.nth(index).get_attribute("data-value")
        )
        for index in range(len(LABELS) ** 2)
    }
    assert sum(values.values()) == TASKS
    assert sum(values[label, label] for label in LABELS) == TASKS - len(WRONG)
    for number in WRONG:
        truth = truth_of(external_ids[number])
        assert values[truth, LABELS[(LABELS.index(truth) + 1) % len(LABELS)]] >= 1
    worst = page.locator("table.worst-cases tr:has(td)")
    expect(worst).to_have_count(len(WRONG))
    shot = screenshot(page, "1-evaluation-report")
    assert shot.stat().st_size > 0

    # 4. The bad cases go back to labeling as a new batch for the same vendor.
    second = send_bad_cases(run=run, actor=actor_for(manager))
    assert second.name == bad_case_batch_name(run)
    assert second.vendor == vendor_connection.vendor
    bad_case_ids = {f"{external_ids[number]}~{run.pk}" for number in WRONG | UNSURE}
    assert set(Task.objects.filter(batch=second).values_list("external_id", flat=True)) == bad_case_ids
    pushed = push_batch(batch=second, actor=SYSTEM)
    assert pushed.pushed == len(bad_case_ids)
    second_project = LabelStudioProject.objects.get(batch=second, kind=LabelStudioProject.Kind.LABELING)
    assert second_project.label_studio_id != LabelStudioProject.objects.get(batch=first).label_studio_id
    live_tasks = exported_tasks(LabelStudioClient.for_connection(vendor_connection), second_project.label_studio_id)
    assert len(live_tasks) == len(bad_case_ids)

    # 5. Labeled, pulled, accepted; version 2 adds exactly the bad cases' copies.
    pull_and_accept(second, reviewer)
    v2 = build_dataset_version(project=project, actor=actor_for(manager))
    assert (v2.number, v2.parent, v2.item_count) == (2, v1, TASKS + len(bad_case_ids))
    assert v2.content_hash != v1.content_hash
    changes = diff_dataset_versions(v1, v2)
    assert set(changes.added) == bad_case_ids and len(changes.added) == len(bad_case_ids)
    assert (changes.removed, changes.relabeled, changes.unchanged) == ((), (), TASKS)
    assert DatasetVersion.objects.filter(project=project).count() == 2
