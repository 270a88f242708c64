"""Gold gates: a project's rule for who may go on labeling, and the pauses it (or a person) decided."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from projects.models.labeling import LabelingProject
from projects.models.workforce import Annotator


class GoldGatePolicy(models.Model):
    """A project's gold gate: onboarding gold, and the floor an annotator's gold accuracy must not be shown below."""

    project = models.OneToOneField(LabelingProject, on_delete=models.CASCADE, related_name="gold_gate")
    is_enabled = models.BooleanField(default=True, help_text="Evaluate the gate after every pull.")
    onboarding_tasks = models.PositiveIntegerField(
        default=10, help_text="N: an annotator's first N tasks in the project are their onboarding."
    )
    onboarding_min_gold = models.PositiveIntegerField(
        default=5, help_text="M: at least M of those first N tasks should be gold (reported when they are not)."
    )
    min_gold_answers = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1)], help_text="K: no verdict before this many gold answers."
    )
    accuracy_floor = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.700"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text="Paused when the Wilson 95% upper bound of gold accuracy is below this share.",
    )
    vendor_manager_may_reinstate = models.BooleanField(
        default=False, help_text="The vendor's manager may reinstate their own annotators (else only a PM)."
    )
    pause_on_anomalies = models.BooleanField(
        default=False, help_text="Anomaly flags (too fast, straight-lining, gold-failure streaks) pause too."
    )

    class Meta:
        verbose_name = "gold gate policy"
        verbose_name_plural = "gold gate policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accuracy_floor__gte=0, accuracy_floor__lte=1), name="gold_gate_floor_is_a_share"
            ),
            models.CheckConstraint(condition=models.Q(min_gold_answers__gte=1), name="gold_gate_needs_an_answer"),
        ]

    def __str__(self) -> str:
        return f"gold gate of {self.project}"


class AnnotatorPause(models.Model):
    """An annotator stopped from labeling a project, why, with the figures, and whether a person reinstated them."""

    annotator = models.ForeignKey(Annotator, on_delete=models.PROTECT, related_name="pauses")
    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="annotator_pauses")
    rule = models.CharField(max_length=60, help_text='What decided it: "gold gate", or "person".')
    reason = models.TextField(help_text="The reason as the vendor manager and PM read it, with its interval.")
    figures = models.JSONField(default=dict, blank=True, help_text="Gold seen, correct, interval, floor, K.")
    paused_at = models.DateTimeField()
    paused_by = models.CharField(max_length=200, help_text="The actor: a person, or annotate under the rule's name.")
    labels_since = models.DateTimeField(
        null=True, blank=True, help_text="Labels created from here on (the last passing point) went to QA in full."
    )
    labels_sent_to_qa = models.PositiveIntegerField(default=0)
    label_studio = models.JSONField(
        default=list, blank=True, help_text="Per server: what annotate did to the account, and what it could not."
    )
    reinstated_at = models.DateTimeField(null=True, blank=True)
    reinstated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reinstatement_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-paused_at", "-id"]
        verbose_name = "annotator pause"
        constraints = [
            models.UniqueConstraint(
                fields=["annotator", "project"],
                condition=models.Q(reinstated_at__isnull=True),
                name="one_open_pause_per_annotator_and_project",
            )
        ]
        indexes = [models.Index(fields=["project", "reinstated_at"])]

    def __str__(self) -> str:
        return f"{self.annotator} paused on {self.project}"

    @property
    def is_open(self) -> bool:
        return self.reinstated_at is None
