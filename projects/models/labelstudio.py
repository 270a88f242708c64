"""The Label Studio models: the servers annotate talks to (connections, annotator accounts), and what annotate keeps
of its life on each (pushed projects and tasks, config versions, sync runs, webhook deliveries)."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.db import models

from projects.models.labeling import Batch, LabelingProject, Task
from projects.models.server_addresses import server_address
from projects.models.workforce import Annotator, Vendor
from projects.secrets import decrypt, encrypt


class LabelStudioConnection(models.Model):
    class Edition(models.TextChoices):
        COMMUNITY = "community", "Community"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=120, unique=True)
    url = models.URLField(help_text="Base URL, e.g. http://127.0.0.1:8080")
    public_url = models.URLField(blank=True, help_text="URL annotators open in their browser, if not the same.")
    edition = models.CharField(max_length=16, choices=Edition.choices, default=Edition.COMMUNITY)
    vendor = models.ForeignKey(
        Vendor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="label_studio_connections",
        help_text="The one vendor a Community server serves.",
    )
    region = models.CharField(max_length=60, blank=True, help_text="Region an Enterprise server serves.")
    token_env_var = models.CharField(
        max_length=80,
        blank=True,
        help_text="Name of the environment variable that holds the API token (preferred over a stored token).",
    )
    encrypted_token = models.TextField(blank=True, editable=False)
    webhook_url = models.URLField(
        blank=True, help_text="Where this server reaches annotate's webhook receiver; empty: no webhooks, pull only."
    )
    is_active = models.BooleanField(default=True)
    server_address = models.CharField(
        max_length=300, editable=False, db_index=True, help_text="The URL normalised: one spelling per server."
    )
    server_identity = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        db_index=True,
        help_text="What the server says it is (its organization's creation time), read at each check and push.",
    )
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "Label Studio connection"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(edition="community") | models.Q(vendor__isnull=False),
                name="community_connection_serves_a_vendor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def save(self, *args, **kwargs) -> None:
        address = server_address(self.url)
        if address != self.server_address:
            if self.server_address:
                self.server_identity = ""  # another URL may reach another server: read it again
            self.server_address = address
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "server_address", "server_identity"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if not self.url:
            return
        rivals = self.rivals_on_server(by_identity=False)
        if rivals:
            raise ValidationError({"url": self.tenancy_message(rivals[0])})

    @property
    def serves(self) -> str:
        """Whom the connection serves, in words."""
        if self.vendor_id:
            return f"vendor {self.vendor}"
        return "any vendor (Enterprise)"

    def conflicts_with(self, other: LabelStudioConnection) -> bool:
        """Whether the two, if on one server, would let one vendor's users read another vendor's work.

        Only Enterprise has roles; a Community server shared by two vendors (or by one vendor
        and a connection that serves any) exposes every project to every user on it.
        """
        if self.edition == self.Edition.ENTERPRISE and other.edition == self.Edition.ENTERPRISE:
            return False
        return self.vendor_id is None or self.vendor_id != other.vendor_id

    def rivals_on_server(self, *, by_identity: bool = True) -> list[LabelStudioConnection]:
        """Other connections on this server (same address, or same identity when read) that conflict with it.

        Inactive connections count: their vendor's users keep their accounts on the server.
        """
        same_server = models.Q(server_address=server_address(self.url))
        if by_identity and self.server_identity:
            same_server |= models.Q(server_identity=self.server_identity)
        others = LabelStudioConnection.objects.filter(same_server).select_related("vendor").order_by("name")
        if self.pk:
            others = others.exclude(pk=self.pk)
        return [other for other in others if self.conflicts_with(other)]

    def tenancy_message(self, rival: LabelStudioConnection) -> str:
        how = (
            f"the same server (it says so: {self.server_identity})"
            if self.server_identity and rival.server_identity == self.server_identity
            else f"Label Studio at {server_address(self.url)}"
        )
        return (
            f"The connection {rival.name!r} already uses {how} for {rival.serves}; this connection would use it "
            f"for {self.serves}. A Community server serves one vendor only: every user on it can read every "
            "project. Give each vendor a server of its own (only an Enterprise server, with its roles, serves several)."
        )

    def set_token(self, token: str) -> None:
        self.encrypted_token = encrypt(token) if token else ""

    def get_token(self) -> str:
        """The API token: the environment variable when named, else the stored one."""
        if self.token_env_var:
            # Not a setting: the variable is named by this row (one per server), and read at use
            # time so a rotated token is picked up without a restart.
            return os.environ.get(self.token_env_var, "")
        return decrypt(self.encrypted_token) if self.encrypted_token else ""

    @property
    def has_token(self) -> bool:
        return bool(self.get_token())

    @property
    def browser_url(self) -> str:
        return (self.public_url or self.url).rstrip("/")


class AnnotatorAccount(models.Model):
    """An annotator's user on one Label Studio server."""

    annotator = models.ForeignKey(Annotator, on_delete=models.CASCADE, related_name="label_studio_accounts")
    connection = models.ForeignKey(LabelStudioConnection, on_delete=models.CASCADE, related_name="accounts")
    label_studio_user_id = models.BigIntegerField()
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "annotator"], name="one_account_per_annotator_and_server"),
            models.UniqueConstraint(fields=["connection", "label_studio_user_id"], name="account_user_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} on {self.connection.name}"


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
    # A full pull reads a Label Studio export snapshot a page at a time and records here how far it got, in the
    # page's own transaction: a retry after a failure or a killed worker resumes in the same snapshot.
    export_id = models.PositiveIntegerField(null=True, blank=True)
    export_applied = models.PositiveIntegerField(default=0, help_text="Tasks of the snapshot applied, from its start.")
    export_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the pull that asked for the snapshot started; the cursor stays before."
    )

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
