"""SLAs: policies per project (overridden per vendor, batch or both), each batch's state and events, vendor rates."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models.labeling import RATE_VALIDATORS, Batch, LabelingProject
from projects.models.workforce import Vendor


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")


def _share_between_0_and_1(field: str) -> models.Q:
    return models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__gte": 0, f"{field}__lte": 1})


class SlaPolicy(models.Model):
    """What a project expects of its vendors; the most specific policy for a batch wins (batch+vendor, batch, vendor,
    project). An empty target is not checked."""

    project = models.ForeignKey(LabelingProject, on_delete=models.CASCADE, related_name="sla_policies")
    batch = models.ForeignKey(
        Batch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text="Only this batch.",
    )
    vendor = models.ForeignKey(
        Vendor,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text="Only this vendor's batches.",
    )
    turnaround_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Hours from push to the last label counted toward the target.",
    )
    daily_throughput = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Labels per day, at least."
    )
    min_gold_accuracy = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, validators=RATE_VALIDATORS
    )
    min_qa_acceptance = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, validators=RATE_VALIDATORS
    )
    min_agreement = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=RATE_VALIDATORS,
        help_text="The batch's primary agreement statistic (Krippendorff's alpha or Fleiss' kappa), at least.",
    )
    window_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Throughput and quality are measured over the last this many days.",
    )
    grace_hours = models.PositiveIntegerField(default=24, help_text="A breach unresolved this long is escalated.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "batch", "vendor"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        # One policy per scope; NULL batch or vendor means "any", so each combination gets its own partial index.
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(batch__isnull=True, vendor__isnull=True),
                name="sla_policy_one_per_project",
            ),
            models.UniqueConstraint(
                fields=["project", "vendor"],
                condition=models.Q(batch__isnull=True, vendor__isnull=False),
                name="sla_policy_one_per_project_vendor",
            ),
            models.UniqueConstraint(
                fields=["project", "batch"],
                condition=models.Q(batch__isnull=False, vendor__isnull=True),
                name="sla_policy_one_per_batch",
            ),
            models.UniqueConstraint(
                fields=["project", "batch", "vendor"],
                condition=models.Q(batch__isnull=False, vendor__isnull=False),
                name="sla_policy_one_per_batch_vendor",
            ),
            models.CheckConstraint(
                condition=_share_between_0_and_1("min_gold_accuracy"), name="sla_policy_gold_accuracy_is_a_share"
            ),
            models.CheckConstraint(
                condition=_share_between_0_and_1("min_qa_acceptance"), name="sla_policy_qa_acceptance_is_a_share"
            ),
            models.CheckConstraint(
                condition=_share_between_0_and_1("min_agreement"), name="sla_policy_agreement_is_a_share"
            ),
            models.CheckConstraint(
                condition=models.Q(turnaround_hours__isnull=True) | models.Q(turnaround_hours__gte=1),
                name="sla_policy_turnaround_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(daily_throughput__isnull=True) | models.Q(daily_throughput__gte=1),
                name="sla_policy_throughput_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(window_days__gte=1, window_days__lte=90), name="sla_policy_window_1_to_90_days"
            ),
        ]

    def __str__(self) -> str:
        scope = " / ".join(str(part) for part in (self.batch, self.vendor) if part is not None)
        return f"SLA of {scope or self.project}"

    def clean(self) -> None:
        if self.batch_id is not None and self.project_id is not None and self.batch.project_id != self.project_id:
            raise ValidationError({"batch": "The batch belongs to another project."})


class SlaStatus(models.Model):
    """The SLA state of one batch with one vendor, as the monitor last found it."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="sla_statuses")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="sla_statuses")
    state = models.CharField(max_length=16, choices=SlaState.choices, default=SlaState.ON_TRACK)
    since = models.DateTimeField(help_text="When the batch entered this state.")
    breach_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current breach began (kept through escalation)."
    )
    figures = models.JSONField(default=dict, blank=True, help_text="What the last check measured.")
    reasons = models.JSONField(default=list, blank=True, help_text="Why the batch is in this state.")
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Empty until the first check.")

    class Meta:
        ordering = ["batch", "vendor"]
        verbose_name = "SLA status"
        verbose_name_plural = "SLA statuses"
        constraints = [models.UniqueConstraint(fields=["batch", "vendor"], name="sla_status_one_per_batch_vendor")]
        indexes = [models.Index(fields=["state", "since"])]

    def __str__(self) -> str:
        return f"{self.batch} / {self.vendor}: {self.get_state_display()}"


class SlaEvent(models.Model):
    """A change of a batch's SLA state, the figures and reasons behind it; notified once, acknowledged by a person."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="sla_events")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="sla_events")
    from_state = models.CharField(max_length=16, choices=SlaState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=SlaState.choices)
    figures = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When its e-mail went out.")
    recipients = models.JSONField(default=list, blank=True, help_text="Who the e-mail went to.")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SLA event"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_state=models.F("to_state")), name="sla_event_changes_state"
            ),
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="sla_event_acknowledged_by_someone",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "vendor", "created_at"]),
            models.Index(fields=["notified_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.batch} / {self.vendor}: {self.from_state or 'new'} → {self.to_state}"


class VendorRate(models.Model):
    """What a vendor is paid per task or per hour from a date on; the rate in force when a label was made prices it."""

    class Unit(models.TextChoices):
        PER_TASK = "per_task", "Per task"
        PER_HOUR = "per_hour", "Per hour"

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="rates")
    unit = models.CharField(max_length=16, choices=Unit.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD, CNY.")
    valid_from = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["vendor", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "valid_from"], name="vendor_rate_one_per_start"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="vendor_rate_not_negative"),
        ]

    def __str__(self) -> str:
        unit = self.get_unit_display().lower()
        return f"{self.vendor}: {self.amount} {self.currency} {unit} from {self.valid_from:%Y-%m-%d}"
