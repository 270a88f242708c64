"""Quality in the admin: the PM edits the error taxonomy; samples, reviews and decisions are read-only records."""

from __future__ import annotations

from django.contrib import admin

from projects.models import (
    Adjudication,
    BatchDecision,
    ErrorCategory,
    GoldRetirement,
    ItemConsensus,
    QASample,
    QASampleItem,
    Review,
)


@admin.register(ErrorCategory)
class ErrorCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "active", "description"]
    list_filter = ["active", "project"]
    list_editable = ["active"]
    list_select_related = ["project"]
    search_fields = ["name", "description", "project__slug"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the quality services (with their audit trail), never edited by hand."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class QASampleItemInline(admin.TabularInline):
    model = QASampleItem
    extra = 0
    fields = ["annotation", "reasons", "weight", "status"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QASample)
class QASampleAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "seed", "drawn_by", "drawn_at"]
    list_filter = ["batch__project"]
    list_select_related = ["batch__project", "drawn_by"]
    inlines = [QASampleItemInline]


@admin.register(QASampleItem)
class QASampleItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "sample", "annotation", "annotator", "weight", "reasons", "status"]
    list_filter = ["status", "sample__batch__project"]
    list_select_related = ["sample__batch__project", "annotation__annotator__user", "annotation__annotator__vendor"]

    @admin.display(description="annotator", ordering="annotation__annotator")
    def annotator(self, item: QASampleItem) -> str:
        return str(item.annotation.annotator) if item.annotation.annotator else "—"


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["id", "annotation", "annotator", "verdict", "error_category", "severity", "reviewer", "created_at"]
    list_filter = ["verdict", "severity", "error_category", "annotation__annotator__vendor"]
    list_select_related = ["annotation__annotator__user", "annotation__annotator__vendor", "reviewer", "error_category"]
    search_fields = ["comment", "annotation__task__external_id"]
    date_hierarchy = "created_at"

    @admin.display(description="annotator", ordering="annotation__annotator")
    def annotator(self, review: Review) -> str:
        return str(review.annotation.annotator) if review.annotation.annotator else "—"


@admin.register(Adjudication)
class AdjudicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "control_name", "label", "adjudicator", "created_at"]
    list_filter = ["control_name", "task__project"]
    list_select_related = ["task__project", "adjudicator"]
    search_fields = ["task__external_id"]


@admin.register(ItemConsensus)
class ItemConsensusAdmin(ReadOnlyAdmin):
    list_display = ["task", "control_name", "method", "label", "confidence", "ratings", "needs_adjudication"]
    list_filter = ["needs_adjudication", "method", "control_name", "task__project"]
    list_select_related = ["task__project"]
    search_fields = ["task__external_id"]


@admin.register(GoldRetirement)
class GoldRetirementAdmin(ReadOnlyAdmin):
    list_display = ["task", "vendor", "exposures", "retired_at"]
    list_filter = ["vendor", "task__project"]
    list_select_related = ["task__project", "vendor"]


@admin.register(BatchDecision)
class BatchDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "batch",
        "accepted",
        "sample_size",
        "errors",
        "error_rate",
        "upper_bound",
        "aql",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["accepted", "batch__project", "batch__vendor"]
    list_select_related = ["batch__project", "decided_by"]
