"""A batch ready for QA review: Mandarin and English aftersales conversations, two annotators, a drawn sample.

Built with the factories and the quality services (draw_qa_sample, aggregate_batch), the way a
project manager would prepare it, so the review pages are tested on what the services store.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group

from projects.access.roles import ANNOTATOR, PROJECT_MANAGER, QA_REVIEWER, VENDOR_MANAGER
from projects.models import Annotation, Batch, ErrorCategory, ItemConsensus, QASample, VendorManager
from projects.quality.consensus.build import aggregate_batch
from projects.quality.review.taxonomy import ensure_default_error_categories
from projects.quality.sampling.qa_sample import draw_qa_sample
from tests.actors import actor_for
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

DEMO_CONFIG = (Path(__file__).resolve().parents[2] / "projects" / "demo" / "label_config.xml").read_text()
PASSWORD = "a-long-test-password"  # UserFactory's

CONVERSATIONS = [
    (
        "zh-refund-1",
        "zh",
        [
            {"author": "buyer", "text": "你好，我上周买的蓝牙耳机左耳没有声音，想申请退款。"},
            {"author": "bot", "text": "亲，非常抱歉给您带来不便！请提供订单号，我们为您办理退款。"},
            {"author": "buyer", "text": "订单号是 SO-2024-118822，麻烦尽快处理。"},
            {"author": "bot", "text": "已为您提交退款申请，预计 1-3 个工作日原路退回。"},
        ],
    ),
    (
        "en-late-1",
        "en",
        [
            {"author": "buyer", "text": "My parcel was due on Monday and it still hasn't arrived."},
            {"author": "bot", "text": "Sorry about the delay! The courier shows it is at the local depot."},
            {"author": "buyer", "text": "Can you make sure it comes tomorrow?"},
            {"author": "bot", "text": "I have flagged it as urgent; it should reach you within 24 hours."},
        ],
    ),
    (
        "zh-damaged-1",
        "zh",
        [
            {"author": "buyer", "text": "收到的杯子碎了，包装也压坏了。"},
            {"author": "bot", "text": "很抱歉！请上传商品和包装的照片，我们会为您补发。"},
        ],
    ),
]


def choice(control: str, value: str) -> dict:
    return {"from_name": control, "to_name": "dialogue", "type": "choices", "value": {"choices": [value]}}


def labels(scenario: str, resolved: str = "yes", hallucination: str = "no") -> list[dict]:
    return [choice("scenario", scenario), choice("resolved", resolved), choice("hallucination", hallucination)]


@dataclass
class ReviewWorld:
    batch: Batch
    sample: QASample
    reviewer: object
    project_manager: object
    vendor_manager: object
    annotator_user: object
    categories: list[ErrorCategory]
    annotations: dict[tuple[str, str], Annotation]  # (task external id, annotator username) → annotation

    def disputed(self) -> ItemConsensus:
        """The scenario of en-late-1: one annotator said late delivery, the other not received."""
        return ItemConsensus.objects.get(task__batch=self.batch, task__external_id="en-late-1", control_name="scenario")


def _user(username: str, role: str, **names) -> object:
    user = UserFactory(username=username, **names)
    user.groups.add(Group.objects.get(name=role))
    return user


def build_review_world(categories: str = "own") -> ReviewWorld:
    """Three conversations labeled by two annotators who disagree on one scenario; every annotation sampled.

    The project's error categories: its own two ("own"), the default taxonomy a new project gets ("default").
    """
    vendor = VendorFactory(name="Lingua Works", slug="lingua")
    project = LabelingProjectFactory(
        name="售后对话 Aftersales conversations",
        slug="aftersales",
        label_config=DEMO_CONFIG,
        acceptable_quality_level=Decimal("0.5"),
    )
    batch = BatchFactory(project=project, vendor=vendor, name="lingua-w47 退款与物流", target_count=3)
    mei = AnnotatorFactory(vendor=vendor, user=_user("mei.chen", ANNOTATOR, first_name="陈梅"))
    tom = AnnotatorFactory(vendor=vendor, user=_user("tom.baker", ANNOTATOR, first_name="Tom"))
    tasks = {}
    for external_id, language, turns in CONVERSATIONS:
        tasks[external_id] = TaskFactory(
            project=project,
            batch=batch,
            external_id=external_id,
            language=language,
            data={"dialogue": turns},
            predictions=[{"model_version": "triage-v3", "score": 0.81, "result": labels("refund")}],
        )
    gold = TaskFactory(
        project=project,
        batch=batch,
        external_id="zh-gold-1",
        language="zh",
        data={
            "dialogue": [
                {"author": "buyer", "text": "我想退货，尺码不合适。"},
                {"author": "bot", "text": "好的，已为您办理退货。"},
            ]
        },
        is_gold=True,
        gold_answer=labels("return"),
    )
    given = {
        ("zh-refund-1", "mei.chen"): labels("refund"),
        ("zh-refund-1", "tom.baker"): labels("refund"),
        ("en-late-1", "mei.chen"): labels("late_delivery"),
        ("en-late-1", "tom.baker"): labels("not_received", resolved="partly"),
        ("zh-damaged-1", "mei.chen"): labels("damaged", hallucination="yes"),
        ("zh-damaged-1", "tom.baker"): labels("damaged"),
        ("zh-gold-1", "mei.chen"): labels("return"),
        ("zh-gold-1", "tom.baker"): labels("exchange_size"),
    }
    annotators = {"mei.chen": mei, "tom.baker": tom}
    all_tasks = {**tasks, "zh-gold-1": gold}
    annotations = {
        (external_id, username): AnnotationFactory(
            task=all_tasks[external_id], annotator=annotators[username], result=result, lead_time=42.0
        )
        for (external_id, username), result in given.items()
    }
    if categories == "default":
        categories_made = ensure_default_error_categories(project=project)
    else:
        categories_made = [
            ErrorCategoryFactory(project=project, name="wrong scenario", description="The scenario does not match."),
            ErrorCategoryFactory(project=project, name="missed hallucination", description="The bot made it up."),
        ]
    reviewer = _user("qa.li", QA_REVIEWER, first_name="李审")
    project_manager = _user("pm.zhang", PROJECT_MANAGER, first_name="张经理")
    vendor_manager = _user("manager-lingua", VENDOR_MANAGER)
    VendorManager.objects.create(user=vendor_manager, vendor=vendor)
    # Every annotation is among its annotator's first tasks in the project, so the sample holds them all.
    sample = draw_qa_sample(batch=batch, seed=7, actor=actor_for(project_manager))
    aggregate_batch(batch=batch)
    return ReviewWorld(
        batch=batch,
        sample=sample,
        reviewer=reviewer,
        project_manager=project_manager,
        vendor_manager=vendor_manager,
        annotator_user=mei.user,
        categories=categories_made,
        annotations=annotations,
    )
