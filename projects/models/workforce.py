"""Vendors and their annotators."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


def validate_time_zone(name: str) -> None:
    """An IANA time zone name this machine's time zone database knows, e.g. "Asia/Shanghai" or "UTC"."""
    if name not in zoneinfo.available_timezones():
        raise ValidationError(
            f"{name!r} is not an IANA time zone name (e.g. Asia/Shanghai, Europe/Berlin, UTC).", code="invalid"
        )


class Vendor(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    contact_email = models.EmailField(blank=True)
    languages = models.JSONField(default=list, blank=True, help_text='Languages the vendor labels, e.g. ["en", "zh"].')
    daily_capacity = models.PositiveIntegerField(default=0, help_text="Tasks per day the vendor commits to.")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Asia/Shanghai: the vendor's portal shows due times in it.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Annotator(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotator")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="annotators")
    languages = models.JSONField(default=list, blank=True)
    skills = models.JSONField(default=list, blank=True, help_text='e.g. ["aftersales", "hallucination"].')
    is_active = models.BooleanField(default=True)
    hourly_cost = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor__name", "user__username"]
        indexes = [models.Index(fields=["vendor", "is_active"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(hourly_cost__gte=0), name="annotator_hourly_cost_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.vendor})"


class VendorManager(models.Model):
    """A person at a vendor who runs its team: sees the vendor's batches, annotators and quality, nothing else."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_manager")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="managers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} (manager, {self.vendor})"


class LanguagePreference(models.Model):
    """The language a person chose on the portal's switcher: their pages after they sign in, and their e-mails."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference")
    language = models.CharField(max_length=16, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()}: {self.language}"
