from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from projects.models import Annotator, Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "languages", "daily_capacity", "annotator_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(annotator_count=Count("annotators"))

    @admin.display(description="annotators", ordering="annotator_count")
    def annotator_count(self, vendor: Vendor) -> int:
        return vendor.annotator_count


@admin.register(Annotator)
class AnnotatorAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor", "languages", "skills", "hourly_cost", "is_active"]
    list_filter = ["vendor", "is_active"]
    list_select_related = ["user", "vendor"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
