"""Quality: QA samples and their reviews, adjudications, consensus labels, gold retirement, batch decisions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models.labeling import RATE_VALIDATORS, Annotation, Batch, LabelingProject, Task
from projects.models.workforce import Vendor


class ErrorCategory(models.Model):
    """A kind of mistake a reviewer can reject an annotation for; each project keeps its own taxonomy."""

    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="error_categories")
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, help_text="What counts as this error, for reviewers and vendors.")
    active = models.BooleanField(default=True, help_text="Inactive categories stay on old reviews, not in new ones.")

    class Meta:
        ordering = ["project", "name"]
        verbose_name_plural = "error categories"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="error_category_name_unique_in_project"),
        ]

    def __str__(self) -> str:
        return self.name


class QASample(models.Model):
    """The annotations of one batch drawn for QA review; the same batch and seed always give the same sample."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="qa_samples")
    seed = models.BigIntegerField()
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    settings = models.JSONField(
        default=dict, blank=True, help_text="The rates, minimums and risk thresholds the sample was drawn with."
    )

    class Meta:
        ordering = ["-drawn_at"]
        verbose_name = "QA sample"
        constraints = [models.UniqueConstraint(fields=["batch", "seed"], name="qa_sample_unique_per_batch_seed")]

    def __str__(self) -> str:
        return f"QA sample of {self.batch} (seed {self.seed})"


class QASampleItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REVIEWED = "reviewed", "Reviewed"

    sample = models.ForeignKey(QASample, on_delete=models.CASCADE, related_name="items")
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="qa_sample_items")
    reasons = models.JSONField(default=list, help_text='Why it was drawn, e.g. ["first_tasks", "low_gold_accuracy"].')
    weight = models.FloatField(default=1.0, help_text="Risk weight it was drawn with (1 = no risk signal).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["sample", "-weight", "id"]
        verbose_name = "QA sample item"
        constraints = [
            models.UniqueConstraint(fields=["sample", "annotation"], name="qa_sample_item_unique_annotation"),
        ]
        indexes = [models.Index(fields=["sample", "status"])]

    def __str__(self) -> str:
        return f"annotation {self.annotation_id} in sample {self.sample_id}"


class Review(models.Model):
    """A QA reviewer's verdict on one annotation."""

    class Verdict(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")
        CORRECT = "correct", _("Correct the label")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="reviews")
    sample_item = models.ForeignKey(
        QASampleItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    # PROTECT: a verdict keeps its reviewer for the audit trail.
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    error_category = models.ForeignKey(
        ErrorCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    severity = models.CharField(max_length=16, choices=Severity.choices, null=True, blank=True)
    comment = models.TextField(blank=True)
    corrected_result = models.JSONField(null=True, blank=True, help_text="The label as it should be (Label Studio).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(verdict="reject") | models.Q(error_category__isnull=False),
                name="review_reject_has_error_category",
            ),
            models.CheckConstraint(
                condition=~models.Q(verdict="correct") | models.Q(corrected_result__isnull=False),
                name="review_correct_has_corrected_result",
            ),
        ]
        indexes = [models.Index(fields=["annotation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} on annotation {self.annotation_id}"

    def clean(self) -> None:
        errors = {}
        if self.verdict == self.Verdict.REJECT:
            if self.error_category_id is None:
                errors["error_category"] = "A rejection needs an error category."
            if not self.severity:
                errors["severity"] = "A rejection needs a severity."
        if self.verdict == self.Verdict.CORRECT and not self.corrected_result:
            errors["corrected_result"] = "A correction needs the corrected label."
        if errors:
            raise ValidationError(errors)

    @property
    def is_error(self) -> bool:
        """A rejected or corrected annotation counts as an error in the batch's error rate."""
        return self.verdict in (self.Verdict.REJECT, self.Verdict.CORRECT)


class Adjudication(models.Model):
    """The label an adjudicator chose for one control of a task the annotators did not agree on."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="adjudications")
    control_name = models.CharField(max_length=120)
    label = models.JSONField(help_text='The chosen label, e.g. "refund", ["a", "b"] or 4.')
    adjudicator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adjudications")
    comment = models.TextField(blank=True)
    revises = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revised_by",
        help_text="The adjudication of the same item this one replaces; each is revised at most once.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "control_name", "created_at"])]
        constraints = [
            # Later adjudications of an item revise the one before: one chain per item, never two.
            models.UniqueConstraint(
                fields=["task", "control_name"],
                condition=models.Q(revises__isnull=True),
                name="adjudication_first_one_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.control_name} of {self.task_id}: {self.label}"


class ItemConsensus(models.Model):
    """The aggregated label of one control of one task, with how it was reached and how sure it is."""

    class Method(models.TextChoices):
        MAJORITY = "majority", _("Majority vote")
        DAWID_SKENE = "dawid_skene", _("Dawid-Skene")
        GOLD = "gold", _("Gold answer")
        ADJUDICATION = "adjudication", _("Adjudication")

    # No index of its own: the unique (task, control_name) constraint's index serves lookups by task, and a quality
    # run writes hundreds of thousands of these rows, each index on them paid for on every write.
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="consensus", db_index=False)
    control_name = models.CharField(max_length=120)
    method = models.CharField(max_length=16, choices=Method.choices)
    label = models.JSONField(null=True, blank=True, help_text="None while the item awaits adjudication.")
    confidence = models.FloatField(help_text="Vote share or posterior probability of the label (1 for gold).")
    probabilities = models.JSONField(default=dict, blank=True, help_text="Every candidate label's share or posterior.")
    ratings = models.PositiveIntegerField(default=0, help_text="Annotations the consensus was computed from.")
    needs_adjudication = models.BooleanField(default=False)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["task", "control_name"]
        verbose_name_plural = "item consensus"
        constraints = [
            models.UniqueConstraint(fields=["task", "control_name"], name="item_consensus_unique_per_control"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1), name="item_consensus_confidence_is_a_share"
            ),
        ]
        indexes = [models.Index(fields=["needs_adjudication", "task"])]

    def __str__(self) -> str:
        return f"{self.control_name} of {self.task_id}: {self.label} ({self.method})"


class GoldRetirement(models.Model):
    """A gold task no longer shown to a vendor: too many of its annotators have seen it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="gold_retirements")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    exposures = models.PositiveIntegerField(help_text="Annotators of the vendor who had seen it when retired.")
    retired_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-retired_at"]
        constraints = [models.UniqueConstraint(fields=["task", "vendor"], name="gold_retired_once_per_vendor")]

    def __str__(self) -> str:
        return f"gold {self.task_id} retired for {self.vendor_id}"


class BatchDecision(models.Model):
    """Accept or reject a batch from its QA sample's verdicts: error rate, its Wilson upper bound, the AQL."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="decisions")
    sample = models.ForeignKey(QASample, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    sample_size = models.PositiveIntegerField()
    errors = models.PositiveIntegerField()
    error_rate = models.FloatField()
    upper_bound = models.FloatField(help_text="Wilson 95% upper bound of the error rate.")
    aql = models.DecimalField(
        max_digits=4, decimal_places=3, validators=RATE_VALIDATORS, help_text="Acceptable quality level applied."
    )
    accepted = models.BooleanField()
    comment = models.TextField(
        blank=True, help_text="Why, in words for the vendor: shown in their portal with the error counts."
    )

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(errors__lte=models.F("sample_size")), name="batch_decision_errors_within_sample"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch}: {'accepted' if self.accepted else 'rejected'}"


class Rework(models.Model):
    """A rejected annotation sent back to its vendor: one task of the batch's rework project in Label Studio.

    The annotation made on that task comes back through the pull as a new annotation of the same
    task and becomes the `replacement`: it supersedes the rejected one, which keeps its history.
    """

    annotation = models.OneToOneField(Annotation, on_delete=models.CASCADE, related_name="rework")
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="reworks")
    label_studio_project = models.ForeignKey(
        "projects.LabelStudioProject", on_delete=models.PROTECT, related_name="reworks"
    )
    label_studio_task_id = models.BigIntegerField()
    replacement = models.OneToOneField(
        Annotation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rework_of",
        help_text="The annotation made in rework (the newest live one); set by the pull.",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["label_studio_project", "label_studio_task_id"], name="rework_label_studio_task_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"rework of annotation {self.annotation_id}"
