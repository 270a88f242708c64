"""Model evaluations: one run of a model's predictions scored against a gold dataset version, item by item."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from projects.models.datasets import DatasetVersion


class EvaluationRun(models.Model):
    """A model's predictions on one control of a dataset version, and the whole report computed from them."""

    # PROTECT: a version that has been evaluated keeps its runs' meaning.
    dataset_version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="evaluation_runs")
    control = models.CharField(max_length=100, help_text="The label config control evaluated, e.g. scenario.")
    model_name = models.CharField(max_length=200)
    model_version = models.CharField(max_length=100, blank=True)
    source = models.CharField(
        max_length=500, help_text="Where the predictions came from: the uploaded file's name or the endpoint URL."
    )
    metrics = models.JSONField(
        default=dict, help_text="The whole evaluation report, as computed when the run was made."
    )
    item_count = models.PositiveIntegerField(help_text="Items of the version with a prediction.")
    missing_count = models.PositiveIntegerField(help_text="Items of the version without a prediction (not scored).")
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["dataset_version", "control"])]

    def __str__(self) -> str:
        version = f" {self.model_version}" if self.model_version else ""
        return f"{self.model_name}{version} on {self.dataset_version} ({self.control})"


class EvaluationPrediction(models.Model):
    """One item's prediction in a run, and whether it matches the version's gold label."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="predictions")
    external_id = models.CharField(max_length=255)
    prediction = models.JSONField(help_text="The predicted label, as the control's options spell it.")
    score = models.FloatField(null=True, blank=True, help_text="The model's confidence in its prediction, 0 to 1.")
    latency_ms = models.FloatField(null=True, blank=True)
    correct = models.BooleanField()

    class Meta:
        ordering = ["run", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "external_id"], name="evaluation_prediction_unique_per_item"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=1),
                name="evaluation_prediction_score_is_a_share",
            ),
        ]
        indexes = [models.Index(fields=["run", "correct"])]

    def __str__(self) -> str:
        return f"{self.external_id} in run {self.run_id}"
