"""Dynamic overlap: a project's policy for how many annotators a task gets, and every change it made."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from projects.models.labeling import LabelingProject, Task
from projects.models.labelstudio import LabelStudioProject


class OverlapPolicy(models.Model):
    """Start each task at a few annotators and add one while its consensus stays below the target, up to a maximum."""

    class Statistic(models.TextChoices):
        CONSENSUS = "consensus", "Consensus confidence (Dawid-Skene posterior of the top label)"
        AGREEMENT = "agreement", "Agreement (share of annotators who gave the top label)"

    project = models.OneToOneField(LabelingProject, on_delete=models.CASCADE, related_name="overlap_policy")
    enabled = models.BooleanField(
        default=False, help_text="Off: every task gets the project's overlap, as before."
    )  # fmt: skip
    starting_overlap = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)], help_text="Annotators each task gets first."
    )
    statistic = models.CharField(max_length=16, choices=Statistic.choices, default=Statistic.CONSENSUS)
    target = models.FloatField(
        default=0.8,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="A task whose statistic (its least sure control) reaches this gets no more annotators.",
    )
    maximum_overlap = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1)], help_text="A task never gets more annotators than this."
    )
    fixed_overlap_compared = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="The fixed overlap the dashboard prices the policy against (labels bought against tasks × this).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "overlap policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(maximum_overlap__gte=models.F("starting_overlap")),
                name="overlap_policy_maximum_at_least_the_start",
            ),
            models.CheckConstraint(
                condition=models.Q(target__gte=0, target__lte=1), name="overlap_policy_target_is_a_share"
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        span = f"overlap {self.starting_overlap} to {self.maximum_overlap}"
        return f"{self.project}: {span}, target {self.target} ({state})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        start, maximum = self.starting_overlap, self.maximum_overlap
        if start is not None and maximum is not None and maximum < start:
            raise ValidationError({"maximum_overlap": "The maximum cannot be below the starting overlap."})


def starting_overlap(project: LabelingProject) -> int:
    """The overlap a task of the project starts at in Label Studio: the policy's start when it is on."""
    policy = OverlapPolicy.objects.filter(project=project, enabled=True).first()
    return policy.starting_overlap if policy else project.overlap


class OverlapChange(models.Model):
    """One change of one task's overlap in Label Studio, with the figure that caused it and who made it."""

    class Reason(models.TextChoices):
        BELOW_TARGET = "below_target", "Below the target: one more annotator"
        DRIFT = "drift", "Re-applied after the project's overlap changed in Label Studio"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="overlap_changes")
    label_studio_project = models.ForeignKey(
        LabelStudioProject, on_delete=models.CASCADE, related_name="overlap_changes"
    )
    from_overlap = models.PositiveSmallIntegerField()
    to_overlap = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    statistic = models.CharField(max_length=16, choices=OverlapPolicy.Statistic.choices)
    figure = models.FloatField(null=True, blank=True, help_text="The task's statistic when it was changed.")
    target = models.FloatField(help_text="The policy's target at the time.")
    annotators = models.PositiveSmallIntegerField(help_text="Distinct annotators who had labeled the task.")
    actor = models.CharField(max_length=200, help_text="Who or what made the change, and through what.")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["label_studio_project", "task", "-id"])]
        # The policy only ever raises, one step at a time: each step is taken once, even by two workers at once.
        constraints = [
            models.UniqueConstraint(
                fields=["label_studio_project", "task", "to_overlap"],
                condition=models.Q(reason="below_target"),
                name="overlap_raised_once_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"task {self.task_id}: overlap {self.from_overlap} → {self.to_overlap} ({self.get_reason_display()})"
