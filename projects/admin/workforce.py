from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Count

from projects.access.roles import ANNOTATOR, VENDOR_MANAGER
from projects.models import Annotator, Vendor, VendorManager


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
    """Vendor annotators; saving one puts the user in the "annotator" group."""

    list_display = ["user", "vendor", "languages", "skills", "hourly_cost", "is_active"]
    list_filter = ["vendor", "is_active"]
    list_select_related = ["user", "vendor"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def save_model(self, request, annotator: Annotator, form, change: bool) -> None:
        super().save_model(request, annotator, form, change)
        annotator.user.groups.add(Group.objects.get(name=ANNOTATOR))


@admin.register(VendorManager)
class VendorManagerAdmin(admin.ModelAdmin):
    """Who runs each vendor's team; saving one puts the user in the "vendor manager" group."""

    list_display = ["user", "vendor", "created_at"]
    list_filter = ["vendor"]
    list_select_related = ["user", "vendor"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def save_model(self, request, vendor_manager: VendorManager, form, change: bool) -> None:
        super().save_model(request, vendor_manager, form, change)
        vendor_manager.user.groups.add(Group.objects.get(name=VENDOR_MANAGER))
