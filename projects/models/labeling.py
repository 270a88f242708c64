"""Labeling projects, their batches and tasks, and the annotations pulled back."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models.workforce import Annotator, Vendor

RATE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


class LabelingProject(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        ARCHIVED = "archived", "Archived"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    label_config = models.TextField(help_text="Label Studio labeling configuration (XML).")
    guidelines = models.TextField(blank=True, help_text="Instructions shown to annotators (HTML or plain text).")
    languages = models.JSONField(default=list, blank=True, help_text='e.g. ["en", "zh"].')
    overlap = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Annotators per task."
    )
    gold_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.05"),
        validators=RATE_VALIDATORS,
        help_text="Share of gold (honeypot) tasks mixed into each batch.",
    )
    qa_sample_rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.10"),
        validators=RATE_VALIDATORS,
        help_text="Share of annotations drawn for QA review, at least: a sample also holds the clean reviews the "
        "acceptable quality level needs to accept (or the whole batch).",
    )
    acceptable_quality_level = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.05"),
        validators=RATE_VALIDATORS,
        help_text="A batch is accepted when the Wilson 95% upper bound of its QA error rate is below this; at 5% a "
        "sample needs at least 73 clean reviews to accept.",
    )
    gold_max_exposures_per_vendor = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1)],
        help_text="A gold task is retired for a vendor once this many of its annotators have seen it.",
    )
    qa_min_per_annotator = models.PositiveIntegerField(
        default=5, help_text="Annotations drawn for QA from each annotator of a batch, at least (or all they made)."
    )
    qa_first_tasks_in_full = models.PositiveIntegerField(
        default=20, help_text="An annotator's first tasks in the project are all reviewed."
    )
    dataset_confidence_threshold = models.FloatField(
        default=0.7,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Gold datasets take an aggregated label only at or above this confidence; corrections and "
        "adjudications always count.",
    )
    evaluation_prompt_template = models.TextField(
        blank=True,
        help_text="Prompt sent to a model's chat endpoint when evaluating it: the task's data fields as "
        "{field} placeholders (e.g. {message}) and {labels} for the control's options. The model answers "
        "with one label.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    redaction = models.JSONField(
        default=dict,
        blank=True,
        help_text='PII redaction before tasks reach a vendor, e.g. {"kinds": ["email", "phone", "card", "cn_id"], '
        '"patterns": [{"name": "order_no", "regex": "SO-\\d{4}-\\d{6}"}]}. Empty: every built-in kind, no patterns.',
    )
    keep_originals = models.BooleanField(
        default=False, help_text="Keep each task's unredacted data (never shown to vendor roles)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(overlap__gte=1), name="project_overlap_at_least_one"),
            models.CheckConstraint(
                condition=models.Q(gold_rate__gte=0, gold_rate__lte=1), name="project_gold_rate_is_a_share"
            ),
            models.CheckConstraint(
                condition=models.Q(qa_sample_rate__gte=0, qa_sample_rate__lte=1),
                name="project_qa_sample_rate_is_a_share",
            ),
            models.CheckConstraint(
                condition=models.Q(acceptable_quality_level__gte=0, acceptable_quality_level__lte=1),
                name="project_acceptable_quality_level_is_a_share",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from projects.ingest.redaction import RedactionConfigError, parse_policy
        from projects.labeling.label_config import LabelConfigError, parse_label_config

        errors = {}
        try:
            parse_label_config(self.label_config)
        except LabelConfigError as error:
            errors["label_config"] = str(error)
        try:
            parse_policy(self.redaction)
        except RedactionConfigError as error:
            errors["redaction"] = str(error)
        if errors:
            raise ValidationError(errors)


class Batch(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PUSHED = "pushed", _("Pushed to Label Studio")
        IN_PROGRESS = "in_progress", _("In progress")
        DELIVERED = "delivered", _("Delivered")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="batches")
    # Marks the batch's projects on Label Studio servers, so a rerun adopts what an earlier run created.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="batches")
    target_count = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "due_at", "name"]
        verbose_name_plural = "batches"
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="batch_name_unique_in_project")]
        indexes = [models.Index(fields=["vendor", "status"])]

    def __str__(self) -> str:
        return f"{self.project.slug} / {self.name}"


class TaskImport(models.Model):
    """One file imported into a project: who, when, what and how many."""

    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=16)
    encoding = models.CharField(max_length=16)
    task_count = models.PositiveIntegerField(default=0)
    redaction_report = models.JSONField(
        default=dict, blank=True, help_text="What was redacted: counts per kind and per field, never the values."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.project.slug} ({self.task_count} tasks)"


class Task(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        CHINESE = "zh", "Chinese"
        MIXED = "mixed", "Mixed"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        PUSHED = "pushed", "Pushed"
        ANNOTATED = "annotated", "Annotated"
        SKIPPED = "skipped", "Skipped"
        COMPLETED = "completed", "Completed"

    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="tasks")
    batch = models.ForeignKey(Batch, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    task_import = models.ForeignKey(TaskImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    external_id = models.CharField(max_length=255)
    data = models.JSONField(help_text="What annotators see: redacted per the project's policy.")
    original_data = models.JSONField(
        null=True, blank=True, editable=False, help_text="Unredacted data, kept only when the project opts in."
    )
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.OTHER)
    is_gold = models.BooleanField(default=False)
    gold_answer = models.JSONField(null=True, blank=True, help_text="Label Studio result list.")
    predictions = models.JSONField(default=list, blank=True, help_text="Model predictions (pre-annotations).")
    gold_source = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gold_copies",
        help_text="Gold mixed into a batch: the gold item (a gold task outside any batch) it copies.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="task_external_id_unique_in_project"),
            models.CheckConstraint(
                condition=models.Q(is_gold=False) | models.Q(gold_answer__isnull=False),
                name="gold_task_has_gold_answer",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["batch", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}:{self.external_id}"


class Annotation(models.Model):
    """A label from one annotator on one task, mirrored from Label Studio."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        Annotator, on_delete=models.PROTECT, null=True, blank=True, related_name="annotations"
    )
    connection = models.ForeignKey(
        "LabelStudioConnection", on_delete=models.PROTECT, null=True, blank=True, related_name="annotations"
    )
    label_studio_id = models.BigIntegerField(null=True, blank=True)
    label_studio_task_id = models.BigIntegerField(null=True, blank=True)
    label_studio_user_id = models.BigIntegerField(null=True, blank=True)
    result = models.JSONField(default=list, help_text="Label Studio result list.")
    was_cancelled = models.BooleanField(default=False, help_text="The annotator skipped the task.")
    lead_time = models.FloatField(null=True, blank=True, help_text="Seconds spent, as reported by Label Studio.")
    config_version = models.ForeignKey(
        "projects.ProjectConfigVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The label config and guidelines the annotation was made under.",
    )
    version = models.PositiveIntegerField(default=1)
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    pulled_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["task", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "label_studio_id"],
                condition=models.Q(label_studio_id__isnull=False),
                name="annotation_unique_per_label_studio_id",
            ),
        ]
        indexes = [
            models.Index(fields=["annotator", "created_at"]),
            models.Index(fields=["task", "is_deleted"]),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk} on {self.task_id}"


class AnnotationVersion(models.Model):
    """An earlier state of an annotation, kept when Label Studio reports an edit or deletion."""

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    result = models.JSONField()
    was_cancelled = models.BooleanField(default=False)
    lead_time = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["annotation", "version"]
        constraints = [
            models.UniqueConstraint(fields=["annotation", "version"], name="annotation_version_unique"),
        ]

    def __str__(self) -> str:
        return f"annotation {self.annotation_id} v{self.version}"
