"""Tallies: counts the PM dashboard and the project and batch lists read instead of walking millions of labels.

A batch's tallies are recomputed from its tasks and labels (projects/sla/tallies.py) whenever something it counts
changes: the change marks the batch's BatchTally stale, and the refresh (a Celery task, the monitor's beat, or the
dashboard itself before it reads) recounts stale batches. A batch without a BatchTally row has never been counted.
"""

from __future__ import annotations

from django.db import models

from projects.models.labeling import Batch
from projects.models.sla import VendorRate
from projects.models.workforce import Annotator, Vendor


class BatchTally(models.Model):
    """A batch's task counts, and whether its tallies are current."""

    batch = models.OneToOneField(Batch, on_delete=models.CASCADE, primary_key=True, related_name="tally")
    tasks = models.PositiveIntegerField(default=0)
    gold_tasks = models.PositiveIntegerField(default=0)
    annotated_tasks = models.PositiveIntegerField(default=0, help_text="Tasks with at least one live label.")
    stale = models.BooleanField(default=True, help_text="Something counted changed since the last recount.")
    changes = models.PositiveBigIntegerField(default=0, help_text="Bumped by every change marked; see the recount.")
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stale"], name="batch_tally_stale", condition=models.Q(stale=True))]

    def __str__(self) -> str:
        return f"tally of batch {self.batch_id}"


class LabelTally(models.Model):
    """One annotator's live labels in one batch on one local day, made while one vendor rate (or none) was in force."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="label_tallies")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    day = models.DateField()
    # The rate in force when the labels were made; changing a vendor's rates marks its batches stale.
    rate = models.ForeignKey(VendorRate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    labels = models.PositiveIntegerField(default=0)
    first_labels = models.PositiveIntegerField(default=0, help_text="Labels that were their task's first live one.")
    gold_labels = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0, help_text="Labels sent back to rework.")
    rework_labels = models.PositiveIntegerField(default=0, help_text="Labels made in rework.")
    rework_rejected = models.PositiveIntegerField(default=0)
    lead_seconds = models.DecimalField(max_digits=20, decimal_places=6, default=0)
    rework_lead_seconds = models.DecimalField(max_digits=20, decimal_places=6, default=0)

    class Meta:
        indexes = [models.Index(fields=["batch", "day"])]

    def __str__(self) -> str:
        return f"{self.labels} labels in batch {self.batch_id} on {self.day}"


class FlagSnapshot(models.Model):
    """A project's anomaly flags as last computed, so the dashboard and QA sampling read them instead of the labels."""

    project = models.OneToOneField(
        "projects.LabelingProject", on_delete=models.CASCADE, primary_key=True, related_name="flag_snapshot"
    )
    # [{"annotator": id, "flags": [{"kind", "reason", "figures"}]}], by vendor name then annotator id.
    flags = models.JSONField(default=list)
    since = models.DateTimeField(help_text="The flags look at live labels made from this moment on.")
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"anomaly flags of {self.project_id} at {self.computed_at:%Y-%m-%d %H:%M}"
