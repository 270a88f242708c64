"""What annotate records of its exchanges with Label Studio: projects pushed, task links, sync runs, webhooks."""

from __future__ import annotations

from django.db import models

from projects.models.connections import LabelStudioConnection
from projects.models.labeling import Batch, LabelingProject, Task


class ProjectConfigVersion(models.Model):
    """One version of a project's label config and guidelines, as pushed to Label Studio."""

    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="config_versions")
    number = models.PositiveIntegerField()
    label_config = models.TextField()
    guidelines = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="config_version_number_unique"),
            models.UniqueConstraint(fields=["project", "content_hash"], name="config_version_content_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} config v{self.number}"


class LabelStudioProject(models.Model):
    """The Label Studio project a batch was pushed to for its vendor, or the one its rejected work was sent back in."""

    class Kind(models.TextChoices):
        LABELING = "labeling", "Labeling"
        REWORK = "rework", "Rework"

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="label_studio_projects")
    connection = models.ForeignKey(LabelStudioConnection, on_delete=models.PROTECT, related_name="projects")
    label_studio_id = models.BigIntegerField()
    kind = models.CharField(
        max_length=16,
        choices=Kind.choices,
        default=Kind.LABELING,
        help_text="Rework projects hold rejected annotations sent back, with the reviewer's comment.",
    )
    config_version = models.ForeignKey(ProjectConfigVersion, on_delete=models.PROTECT, related_name="+")
    webhook_id = models.BigIntegerField(null=True, blank=True)
    pushed_task_count = models.PositiveIntegerField(default=0)
    # Incremental pulls read tasks updated after this instant (minus a safety margin).
    pulled_through = models.DateTimeField(null=True, blank=True)
    drift = models.TextField(blank=True, help_text="What differs on the server from annotate's current version.")
    drift_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Label Studio project"
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "connection", "kind"], name="one_label_studio_project_per_batch_server_kind"
            ),
            models.UniqueConstraint(fields=["connection", "label_studio_id"], name="label_studio_project_id_unique"),
        ]

    def __str__(self) -> str:
        rework = " (rework)" if self.kind == self.Kind.REWORK else ""
        return f"{self.batch} → {self.connection.name} project {self.label_studio_id}{rework}"

    @property
    def browser_url(self) -> str:
        return f"{self.connection.browser_url}/projects/{self.label_studio_id}/data"


class PushedTask(models.Model):
    """A task of annotate as a task of one Label Studio project."""

    label_studio_project = models.ForeignKey(LabelStudioProject, on_delete=models.CASCADE, related_name="tasks")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="pushes")
    label_studio_task_id = models.BigIntegerField()
    is_skipped = models.BooleanField(default=False, help_text="Every annotation on it so far was a skip.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["label_studio_project", "task"], name="task_pushed_once_per_project"),
            models.UniqueConstraint(
                fields=["label_studio_project", "label_studio_task_id"], name="pushed_task_label_studio_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} as {self.label_studio_task_id}"


class SyncRun(models.Model):
    class Kind(models.TextChoices):
        PUSH = "push", "Push"
        FULL = "full", "Full pull"
        INCREMENTAL = "incremental", "Incremental pull"
        WEBHOOK = "webhook", "Webhook"

    label_studio_project = models.ForeignKey(LabelStudioProject, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cursor_before = models.DateTimeField(null=True, blank=True)
    cursor_after = models.DateTimeField(null=True, blank=True)
    tasks_seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["label_studio_project", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.label_studio_project_id} at {self.started_at:%Y-%m-%d %H:%M}"


class WebhookEvent(models.Model):
    """A webhook as received: recorded first, processed by a Celery task."""

    connection = models.ForeignKey(LabelStudioConnection, on_delete=models.CASCADE, related_name="webhook_events")
    action = models.CharField(max_length=40)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["processed_at"])]

    def __str__(self) -> str:
        return f"{self.action} from {self.connection.name}"
