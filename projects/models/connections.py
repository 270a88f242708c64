"""Label Studio servers annotate talks to, and what annotate keeps of its life on each."""

from __future__ import annotations

import os

from django.db import models

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
