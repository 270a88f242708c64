from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from projects.access.grants import grant_role
from projects.access.roles import ANNOTATOR, VENDOR_MANAGER
from projects.admin.display import joined
from projects.audit import Actor
from projects.models import Annotator, Vendor, VendorManager


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language_list", "daily_capacity", "time_zone", "annotator_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(annotator_count=Count("annotators"))

    @admin.display(description="annotators", ordering="annotator_count")
    def annotator_count(self, vendor: Vendor) -> int:
        return vendor.annotator_count

    @admin.display(description="languages")
    def language_list(self, vendor: Vendor) -> str:
        return joined(vendor.languages)


@admin.register(Annotator)
class AnnotatorAdmin(admin.ModelAdmin):
    """Vendor annotators; saving one puts the user in the "annotator" group."""

    list_display = ["user", "vendor", "language_list", "skill_list", "hourly_cost", "is_active"]
    list_filter = ["vendor", "is_active"]
    list_select_related = ["user", "vendor"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    @admin.display(description="languages")
    def language_list(self, annotator: Annotator) -> str:
        return joined(annotator.languages)

    @admin.display(description="skills")
    def skill_list(self, annotator: Annotator) -> str:
        return joined(annotator.skills)

    def save_model(self, request, annotator: Annotator, form, change: bool) -> None:
        super().save_model(request, annotator, form, change)
        grant_role(user=annotator.user, role=ANNOTATOR, actor=Actor.person(request.user, via="admin"))


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
        grant_role(user=vendor_manager.user, role=VENDOR_MANAGER, actor=Actor.person(request.user, via="admin"))
