"""Gold gates in the admin: each project's gate policy, and the pauses it decided with their reasons and figures,
reinstated with a comment (an action with a page asking for it)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from projects.admin.quality import ReadOnlyAdmin
from projects.audit import Actor
from projects.errors import Refusal
from projects.models import AnnotatorPause, GoldGatePolicy
from projects.workforce.pauses import reinstate_annotator


@admin.register(GoldGatePolicy)
class GoldGatePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "project",
        "is_enabled",
        "onboarding_tasks",
        "onboarding_min_gold",
        "min_gold_answers",
        "accuracy_floor",
        "vendor_manager_may_reinstate",
    ]
    list_filter = ["is_enabled"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]


class ReinstatementForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="Why they may label again; the vendor manager and the audit log see it, with your name.",
    )


@admin.register(AnnotatorPause)
class AnnotatorPauseAdmin(ReadOnlyAdmin):
    list_display = [
        "paused_at",
        "annotator",
        "project",
        "rule",
        "reason",
        "labels_sent_to_qa",
        "reinstated_at",
        "reinstated_by",
    ]
    list_filter = [("reinstated_at", admin.EmptyFieldListFilter), "rule", "project", "annotator__vendor"]
    list_select_related = ["annotator__user", "annotator__vendor", "project", "reinstated_by"]
    search_fields = ["annotator__user__username", "reason", "reinstatement_comment"]
    date_hierarchy = "paused_at"
    actions = ["reinstate"]

    def has_reinstate_permission(self, request) -> bool:
        # Reinstating changes the pause only through the workforce service, which checks the person's role.
        return request.user.has_perm("projects.change_annotatorpause")

    @admin.action(description="Reinstate selected annotators (with a comment)", permissions=["reinstate"])
    def reinstate(self, request, queryset):
        form = ReinstatementForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for pause in queryset:
                try:
                    pause = reinstate_annotator(
                        pause=pause, comment=form.cleaned_data["comment"], actor=Actor.person(request.user, via="admin")
                    )
                except Refusal as refusal:
                    self.message_user(request, f"{pause}: {refusal}", messages.WARNING)
                    continue
                done += 1
                for change in pause.label_studio:
                    if change.get("reinstated") and not change["done"]:
                        self.message_user(request, f"{pause}: {change['detail']}", messages.WARNING)
            if done:
                self.message_user(request, f"Reinstated {done} annotator(s).", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reinstate annotators",
            "pauses": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/projects/annotatorpause/reinstate.html", context)
