"""Gold datasets: immutable, numbered versions of a project's consolidated labels, their items and exclusions.

A version is written once, in one transaction, by `projects.datasets.builds.build_dataset_version`,
and never changes afterwards: its content hash is a promise to everyone who trained on it. So the
models refuse it in every way the application can reach a row: `save()` of an existing row,
`delete()` of an instance, and `update()` / `delete()` of a queryset. Projects and tasks that
appear in a version are protected from deletion for the same reason.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from projects.errors import Refusal
from projects.models.labeling import LabelingProject, Task


class DatasetImmutable(Refusal):
    """A write to a built dataset version, which never changes: build a new version instead."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}: a built dataset version never changes; build a new version instead.")


class ImmutableQuerySet(models.QuerySet):
    """Bulk reads and inserts only: an update or delete of existing rows raises DatasetImmutable."""

    def update(self, **kwargs):
        raise DatasetImmutable(f"update of {self.model._meta.verbose_name_plural}")

    def delete(self):
        raise DatasetImmutable(f"delete of {self.model._meta.verbose_name_plural}")

    def update_or_create(self, *args, **kwargs):
        raise DatasetImmutable(f"update_or_create of {self.model._meta.verbose_name_plural}")

    def bulk_update(self, *args, **kwargs):
        raise DatasetImmutable(f"bulk_update of {self.model._meta.verbose_name_plural}")


class ImmutableModel(models.Model):
    """A row written once: saving it again, or deleting it, raises DatasetImmutable."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise DatasetImmutable(f"change of {self._meta.verbose_name} {self.pk}")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DatasetImmutable(f"delete of {self._meta.verbose_name} {self.pk}")


class DatasetVersion(ImmutableModel):
    """One built version of a project's gold dataset: numbered, hashed, with its lineage and build settings."""

    # PROTECT: a project with gold datasets keeps its history; archive it instead of deleting it.
    project = models.ForeignKey(LabelingProject, on_delete=models.PROTECT, related_name="dataset_versions")
    number = models.PositiveIntegerField(help_text="1, 2, 3… per project, in build order.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The version this one was built after (the project's latest at build time).",
    )
    content_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the canonical JSON Lines of the items (sha256sum of the JSONL export)."
    )
    item_count = models.PositiveIntegerField()
    settings = models.JSONField(
        default=dict, help_text="confidence_threshold, split_ratios (train, validation, test) and seed_name."
    )
    excluded = models.JSONField(default=dict, blank=True, help_text="Tasks left out, counted per reason.")
    statistics = models.JSONField(
        default=dict, blank=True, help_text="Counts and label distribution per split and language, computed at build."
    )
    built_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    built_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="dataset_version_number_unique_in_project"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="dataset_version_number_from_one"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} v{self.number}"


class DatasetItem(ImmutableModel):
    """One task's consolidated label in a version, with its split and where the label came from."""

    class Split(models.TextChoices):
        TRAIN = "train", "Train"
        VALIDATION = "validation", "Validation"
        TEST = "test", "Test"

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="items")
    # PROTECT: a task in a gold dataset stays, so every item keeps its source.
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="dataset_items")
    external_id = models.CharField(max_length=255)
    language = models.CharField(max_length=8)
    data = models.JSONField(help_text="The task's data as annotators saw it (redacted), frozen with the version.")
    label = models.JSONField(help_text='Control name → label, e.g. {"scenario": "refund", "helpfulness": 4}.')
    split = models.CharField(max_length=16, choices=Split.choices)
    method = models.CharField(
        max_length=16, help_text="The weakest source among the controls: correction, adjudication, gold or aggregation."
    )
    confidence = models.FloatField(help_text="The lowest confidence among the item's controls.")
    provenance = models.JSONField(
        default=dict, help_text="Annotators, reviewers, adjudicators, and method and confidence per control."
    )

    class Meta:
        ordering = ["version", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "external_id"], name="dataset_item_external_id_unique"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1), name="dataset_item_confidence_is_a_share"
            ),
        ]
        indexes = [models.Index(fields=["version", "split"])]

    def __str__(self) -> str:
        return f"{self.external_id} in version {self.version_id}"


class DatasetExclusion(ImmutableModel):
    """A task of the project left out of a version, and why."""

    class Reason(models.TextChoices):
        BELOW_THRESHOLD = "below_threshold", "Consensus below the confidence threshold"
        AWAITING_ADJUDICATION = "awaiting_adjudication", "Annotators disagree; awaiting adjudication"
        UNLABELED = "unlabeled", "No label yet"

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="exclusions")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="dataset_exclusions")
    external_id = models.CharField(max_length=255)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    detail = models.CharField(max_length=300, blank=True, help_text='e.g. "scenario: confidence 0.55 < 0.7".')

    class Meta:
        ordering = ["version", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "task"], name="dataset_exclusion_unique_per_task"),
        ]
        indexes = [models.Index(fields=["version", "reason"])]

    def __str__(self) -> str:
        return f"{self.external_id} left out of version {self.version_id}: {self.get_reason_display()}"
