"""Dynamic overlap in the admin: the policy on its project's page, and every task overlap it changed (read-only)."""

from __future__ import annotations

from django.contrib import admin

from projects.models import OverlapChange, OverlapPolicy


class OverlapPolicyInline(admin.StackedInline):
    model = OverlapPolicy
    can_delete = False
    extra = 0
    max_num = 1
    verbose_name = verbose_name_plural = "dynamic overlap"
    fields = ["enabled", "starting_overlap", "statistic", "target", "maximum_overlap", "fixed_overlap_compared"]


@admin.register(OverlapChange)
class OverlapChangeAdmin(admin.ModelAdmin):
    """Each change annotate made to a task's overlap in Label Studio, with the figure behind it; nothing editable."""

    list_display = ["changed_at", "task", "label_studio_project", "from_overlap", "to_overlap", "reason",
                    "statistic", "figure", "target", "annotators", "actor"]  # fmt: skip
    list_filter = ["reason", "statistic", "label_studio_project__batch__project"]
    search_fields = ["task__external_id"]
    list_select_related = ["task", "label_studio_project__batch", "label_studio_project__connection"]
    date_hierarchy = "changed_at"
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
