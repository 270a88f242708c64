"""Two competing vendors, their people and work, with marker strings planted in everything foreign.

Every string of the rival vendor contains FOREIGN, every string of the annotator's team mate
contains PEER, gold answers contain GOLD and unredacted task data contains ORIGINAL, so a test
can look for one word in a response body instead of a list of names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from projects.access.roles import ANNOTATOR, PROJECT_MANAGER, QA_REVIEWER, VENDOR_MANAGER
from projects.models import (
    AnnotatorPause,
    DatasetItem,
    DatasetVersion,
    ErrorCategory,
    ItemConsensus,
    LabelStudioConnection,
    LabelStudioProject,
    ProjectConfigVersion,
    Review,
    VendorManager,
)
from tests.factories import (
    TRIAGE_CONFIG,
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    QASampleFactory,
    QASampleItemFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
)

FOREIGN = "xleak"
PEER = "xpeer"
GOLD = "xgold"
ORIGINAL = "xorig"

PROJECT_MANAGER_ROLE = "project_manager"
QA_REVIEWER_ROLE = "qa_reviewer"
VENDOR_MANAGER_ROLE = "vendor_manager"
ANNOTATOR_ROLE = "annotator"
NO_ROLE = "no_role"
ANONYMOUS = "anonymous"
INTERNAL_ROLES = (PROJECT_MANAGER_ROLE, QA_REVIEWER_ROLE)
VENDOR_ROLES = (VENDOR_MANAGER_ROLE, ANNOTATOR_ROLE)
ROLES = (*INTERNAL_ROLES, *VENDOR_ROLES, NO_ROLE, ANONYMOUS)

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    users: dict[str, object] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    # (kind, whose) → primary key; whose is "own", "peer" (same vendor, another annotator) or "foreign".
    ids: dict[tuple[str, str], int] = field(default_factory=dict)


def _result(choice: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [choice]}}]


def _label_studio_project(batch, connection, label_studio_id: int) -> LabelStudioProject:
    config_version, _ = ProjectConfigVersion.objects.get_or_create(
        project=batch.project,
        number=1,
        defaults={"label_config": TRIAGE_CONFIG, "content_hash": f"{batch.project_id:064d}"},
    )
    return LabelStudioProject.objects.create(
        batch=batch, connection=connection, label_studio_id=label_studio_id, config_version=config_version
    )


def build_world() -> World:
    """The same world for every access test: own vendor "Acme", rival vendor marked FOREIGN."""
    world = World()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        own_vendor = VendorFactory(name="Acme Labeling", slug="acme-labeling")
        rival = VendorFactory(name=f"{FOREIGN} Rival Vendor", slug=f"{FOREIGN}-rival")

        # A project both vendors work in, and one only the rival works in.
        shared_project = LabelingProjectFactory(name="Shared triage", slug="shared-triage", guidelines="Be careful.")
        rival_project = LabelingProjectFactory(
            name=f"{FOREIGN} rival project", slug=f"{FOREIGN}-project", guidelines=f"{FOREIGN} guidelines"
        )
        own_batch = BatchFactory(project=shared_project, vendor=own_vendor, name="own-batch")
        rival_batch = BatchFactory(project=shared_project, vendor=rival, name=f"{FOREIGN}-batch-in-shared-project")
        rival_only_batch = BatchFactory(project=rival_project, vendor=rival, name=f"{FOREIGN}-batch")

        own_task = TaskFactory(
            project=shared_project,
            batch=own_batch,
            external_id="own-task",
            data={"message": "own message", "reply": "own reply"},
            original_data={"message": f"{ORIGINAL} unredacted 13800138000", "reply": "own reply"},
        )
        gold_task = TaskFactory(
            project=shared_project,
            batch=own_batch,
            external_id="own-gold-task",
            is_gold=True,
            gold_answer=_result(f"{GOLD}-answer"),
        )
        rival_task = TaskFactory(
            project=shared_project,
            batch=rival_batch,
            external_id=f"{FOREIGN}-task",
            data={"message": f"{FOREIGN} task text", "reply": f"{FOREIGN} reply"},
            original_data={"message": f"{FOREIGN} {ORIGINAL}"},
        )
        TaskFactory(
            project=rival_project,
            batch=rival_only_batch,
            external_id=f"{FOREIGN}-task-2",
            data={"message": f"{FOREIGN} other text", "reply": "-"},
        )

        annotator = AnnotatorFactory(
            vendor=own_vendor, user=UserFactory(username="own-annotator", first_name="Own", last_name="Annotator")
        )
        peer = AnnotatorFactory(vendor=own_vendor, user=UserFactory(username=f"{PEER}-annotator"))
        rival_annotator = AnnotatorFactory(
            vendor=rival,
            user=UserFactory(username=f"{FOREIGN}-annotator", first_name=FOREIGN, last_name=f"{FOREIGN}son"),
        )
        own_annotation = AnnotationFactory(
            task=own_task, annotator=annotator, result=_result("own-label"), lead_time=30
        )
        AnnotationFactory(task=gold_task, annotator=annotator, result=_result("refund"), lead_time=40)
        peer_annotation = AnnotationFactory(
            task=own_task, annotator=peer, result=_result(f"{PEER}-label"), lead_time=50
        )
        rival_annotation = AnnotationFactory(
            task=rival_task, annotator=rival_annotator, result=_result(f"{FOREIGN}-label"), lead_time=60
        )

        # Inactive connections: links render in the portal, but nothing ever dials them.
        own_connection = LabelStudioConnection.objects.create(
            name="own-ls", url="http://own-ls.example", vendor=own_vendor, is_active=False
        )
        rival_connection = LabelStudioConnection.objects.create(
            name=f"{FOREIGN}-ls", url=f"http://{FOREIGN}-ls.example", vendor=rival, is_active=False
        )
        rival_connection.set_token(f"{FOREIGN}-token")
        rival_connection.save()
        _label_studio_project(own_batch, own_connection, 101)
        _label_studio_project(rival_batch, rival_connection, 202)

        # QA: samples of both vendors' batches, one item without consensus, the project's error taxonomy.
        ErrorCategoryFactory(project=shared_project, name="wrong scenario")
        own_sample = QASampleFactory(batch=own_batch, seed=1)
        QASampleItemFactory(sample=own_sample, annotation=own_annotation, reasons=["first_tasks"])
        QASampleItemFactory(sample=own_sample, annotation=peer_annotation, reasons=["base_rate"])
        rival_sample = QASampleFactory(batch=rival_batch, seed=1)
        QASampleItemFactory(sample=rival_sample, annotation=rival_annotation, reasons=["base_rate"])
        # QA verdicts on each side: vendors read their own with the comment, never the reviewer.
        reviewer = UserFactory(username="qa")
        reviewer.groups.add(Group.objects.get(name=QA_REVIEWER))
        category = ErrorCategory.objects.get(project=shared_project, name="wrong scenario")
        own_review = Review.objects.create(
            annotation=own_annotation, reviewer=reviewer, verdict="reject", error_category=category,
            severity="major", comment="own-review-comment",
        )  # fmt: skip
        peer_review = Review.objects.create(
            annotation=peer_annotation, reviewer=reviewer, verdict="accept", comment=f"{PEER}-review-comment"
        )
        rival_review = Review.objects.create(
            annotation=rival_annotation, reviewer=reviewer, verdict="reject", error_category=category,
            severity="minor", comment=f"{FOREIGN}-review-comment",
        )  # fmt: skip
        for task in (own_task, rival_task):
            ItemConsensus.objects.create(
                task=task,
                control_name="scenario",
                method="majority",
                confidence=0.5,
                ratings=2,
                needs_adjudication=True,
            )

        # A gold dataset version (internal: vendor roles see none of it), built from the own task's label.
        dataset_version = DatasetVersion.objects.create(
            project=shared_project,
            number=1,
            content_hash="0" * 64,
            item_count=1,
            settings={"confidence_threshold": 0.7, "split_ratios": [0.8, 0.1, 0.1], "seed_name": "shared-triage"},
        )
        dataset_item = DatasetItem.objects.create(
            version=dataset_version,
            task=own_task,
            external_id=own_task.external_id,
            language="en",
            data=own_task.data,
            label={"scenario": "refund"},
            split="train",
            method="adjudication",
            confidence=1.0,
            provenance={"annotators": [annotator.pk], "reviewers": [], "adjudicators": [], "controls": {}},
        )

        # Pauses: the vendor manager reads their own annotators', never the rival's.
        pauses = {
            whose: AnnotatorPause.objects.create(
                annotator=who, project=shared_project, rule="gold gate", reason=f"{label}-pause-reason",
                paused_at=timezone.now(), paused_by="annotate (gold gate)",
            )
            for whose, who, label in (
                ("own", annotator, "own"), ("peer", peer, PEER), ("foreign", rival_annotator, FOREIGN)
            )
        }  # fmt: skip

        rival_manager = UserFactory(username=f"{FOREIGN}-manager")
        VendorManager.objects.create(user=rival_manager, vendor=rival)
        rival_manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))

        project_manager = UserFactory(username="pm", is_staff=True)
        project_manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
        manager = UserFactory(username="own-manager")
        VendorManager.objects.create(user=manager, vendor=own_vendor)
        manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
        annotator.user.groups.add(Group.objects.get(name=ANNOTATOR))
        peer.user.groups.add(Group.objects.get(name=ANNOTATOR))
        nobody = UserFactory(username="no-role")

    world.users = {
        PROJECT_MANAGER_ROLE: project_manager,
        QA_REVIEWER_ROLE: reviewer,
        VENDOR_MANAGER_ROLE: manager,
        ANNOTATOR_ROLE: annotator.user,
        NO_ROLE: nobody,
        ANONYMOUS: None,
    }
    world.tokens = {role: Token.objects.create(user=user).key for role, user in world.users.items() if user}
    world.ids = {
        ("vendor", "own"): own_vendor.pk,
        ("vendor", "foreign"): rival.pk,
        ("annotator", "own"): annotator.pk,
        ("annotator", "peer"): peer.pk,
        ("annotator", "foreign"): rival_annotator.pk,
        ("project", "own"): shared_project.pk,
        ("project", "foreign"): rival_project.pk,
        ("batch", "own"): own_batch.pk,
        ("batch", "foreign"): rival_batch.pk,
        ("task", "own"): own_task.pk,
        ("task", "foreign"): rival_task.pk,
        ("annotation", "own"): own_annotation.pk,
        ("annotation", "peer"): peer_annotation.pk,
        ("annotation", "foreign"): rival_annotation.pk,
        ("review", "own"): own_review.pk,
        ("review", "peer"): peer_review.pk,
        ("review", "foreign"): rival_review.pk,
        ("connection", "own"): own_connection.pk,
        ("dataset_version", "own"): dataset_version.pk,
        ("dataset_item", "own"): dataset_item.pk,
        ("connection", "foreign"): rival_connection.pk,
        **{("pause", whose): pause.pk for whose, pause in pauses.items()},
    }
    return world
