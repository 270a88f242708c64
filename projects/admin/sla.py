"""SLAs in the admin: the PM edits policies and vendor rates; statuses and events are the monitor's records,
listed worst first, and events are acknowledged with a comment (an action with a page asking for it)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html

from projects.admin.quality import ReadOnlyAdmin
from projects.audit import Actor
from projects.models import SlaEvent, SlaPolicy, SlaState, SlaStatus, VendorRate
from projects.sla.acknowledgements import AcknowledgementRefused, acknowledge_event
from projects.sla.queries import events_by_severity, statuses_by_severity

BADGE_COLOURS = {
    SlaState.ON_TRACK: "#447e36",
    SlaState.AT_RISK: "#b36b00",
    SlaState.BREACHED: "#ba2121",
    SlaState.ESCALATED: "#7a0d0d",
    SlaState.RESOLVED: "#417690",
}


def state_badge(state: str) -> str:
    label = dict(SlaState.choices).get(state, state or "new")
    colour = BADGE_COLOURS.get(state, "#666")
    return format_html(
        '<span style="background:{};color:#fff;border-radius:3px;padding:1px 6px;white-space:nowrap">{}</span>',
        colour,
        label,
    )


def reasons_cell(reasons: list[dict]) -> str:
    return "; ".join(reason.get("message", "") for reason in reasons) or "—"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "project",
        "batch",
        "vendor",
        "turnaround_hours",
        "daily_throughput",
        "min_gold_accuracy",
        "min_qa_acceptance",
        "min_agreement",
        "window_days",
        "grace_hours",
    ]
    list_filter = ["project", "vendor"]
    list_select_related = ["project", "batch__project", "vendor"]
    search_fields = ["project__slug", "batch__name", "vendor__name"]
    autocomplete_fields = ["batch"]
    readonly_fields = ["created_by", "updated_at"]
    fieldsets = [
        ("Applies to", {"fields": ["project", "batch", "vendor"], "description": "The most specific policy wins."}),
        ("Targets (empty: not checked)", {"fields": ["turnaround_hours", "daily_throughput"]}),
        ("Quality floors (shares, 0 to 1)", {"fields": ["min_gold_accuracy", "min_qa_acceptance", "min_agreement"]}),
        ("Evaluation", {"fields": ["window_days", "grace_hours", "created_by", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(VendorRate)
class VendorRateAdmin(admin.ModelAdmin):
    list_display = ["vendor", "unit", "amount", "currency", "valid_from"]
    list_filter = ["vendor", "unit", "currency"]
    list_select_related = ["vendor"]
    date_hierarchy = "valid_from"


@admin.register(SlaStatus)
class SlaStatusAdmin(ReadOnlyAdmin):
    list_display = ["batch", "vendor", "badge", "since", "breach_started_at", "reasons_summary", "checked_at"]
    list_filter = ["state", "vendor", "batch__project"]
    list_select_related = ["batch__project", "vendor"]
    search_fields = ["batch__name", "vendor__name"]

    def get_queryset(self, request):
        return statuses_by_severity().select_related(*self.list_select_related)

    def get_ordering(self, request):
        return ["severity", "since", "id"]

    @admin.display(description="state", ordering="severity")
    def badge(self, status: SlaStatus) -> str:
        return state_badge(status.state)

    @admin.display(description="why")
    def reasons_summary(self, status: SlaStatus) -> str:
        return reasons_cell(status.reasons)


class AcknowledgementForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="What is being done about it; the vendor manager and the audit log see who acknowledged it.",
    )


@admin.register(SlaEvent)
class SlaEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "batch",
        "vendor",
        "from_badge",
        "to_badge",
        "reasons_summary",
        "notified_at",
        "acknowledged_by",
        "acknowledged_at",
    ]
    list_filter = ["to_state", ("acknowledged_at", admin.EmptyFieldListFilter), "vendor", "batch__project"]
    list_select_related = ["batch__project", "vendor", "acknowledged_by"]
    search_fields = ["batch__name", "vendor__name", "acknowledgement_comment"]
    date_hierarchy = "created_at"
    actions = ["acknowledge"]

    def get_queryset(self, request):
        return events_by_severity().select_related(*self.list_select_related)

    def get_ordering(self, request):
        return ["severity", "-created_at", "-id"]

    def has_acknowledge_permission(self, request) -> bool:
        # Acknowledging changes only the acknowledgement fields, and only through the SLA service.
        return request.user.has_perm("projects.change_slaevent")

    @admin.display(description="from", ordering="from_state")
    def from_badge(self, event: SlaEvent) -> str:
        return state_badge(event.from_state)

    @admin.display(description="to", ordering="severity")
    def to_badge(self, event: SlaEvent) -> str:
        return state_badge(event.to_state)

    @admin.display(description="why")
    def reasons_summary(self, event: SlaEvent) -> str:
        return reasons_cell(event.reasons)

    @admin.action(description="Acknowledge selected SLA events (with a comment)", permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        form = AcknowledgementForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, refused = 0, []
            for event in queryset:
                try:
                    acknowledge_event(
                        event=event, actor=Actor.person(request.user, via="admin"), comment=form.cleaned_data["comment"]
                    )
                except AcknowledgementRefused as refusal:
                    refused.append(f"{event}: {refusal}")
                else:
                    done += 1
            if done:
                self.message_user(request, f"Acknowledged {done} SLA event(s).", messages.SUCCESS)
            for refusal in refused:
                self.message_user(request, refusal, messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Acknowledge SLA events",
            "events": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/projects/slaevent/acknowledge.html", context)
