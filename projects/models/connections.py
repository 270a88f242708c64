"""Label Studio servers annotate talks to, one per vendor (Community) or region (Enterprise)."""

from __future__ import annotations

import os

from django.db import models

from projects.models.workforce import Vendor
from projects.secrets import decrypt, encrypt


class LabelStudioConnection(models.Model):
    class Edition(models.TextChoices):
        COMMUNITY = "community", "Community"
        ENTERPRISE = "enterprise", "Enterprise"

    name = models.CharField(max_length=120, unique=True)
    url = models.URLField(help_text="Base URL, e.g. http://127.0.0.1:8080")
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
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
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
            return os.environ.get(self.token_env_var, "")
        return decrypt(self.encrypted_token) if self.encrypted_token else ""

    @property
    def has_token(self) -> bool:
        return bool(self.get_token())
