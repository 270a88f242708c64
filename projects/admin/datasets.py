"""Gold datasets in the admin: versions, items and exclusions to read, never to edit; build, datasheet, downloads.

Datasets are internal: project managers and QA reviewers (staff) read them; only the build action
on projects writes, through `build_dataset_version`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from projects.access.roles import INTERNAL_ROLES, role_of
from projects.admin.labeling import LabelingProjectAdmin
from projects.admin.refusals import refusals_shown
from projects.audit import Actor
from projects.datasets.builds import build_dataset_version
from projects.datasets.exports import CONTENT_TYPES, FORMATS, export_chunks, export_file_name
from projects.datasets.queries import datasheet
from projects.models import DatasetExclusion, DatasetItem, DatasetVersion


def _is_internal(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff and role_of(request.user) in INTERNAL_ROLES


class DatasetReadOnlyAdmin(admin.ModelAdmin):
    """Built versions never change: no add, change or delete for anyone, superusers included."""

    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_internal(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _is_internal(request)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DatasetVersion)
class DatasetVersionAdmin(DatasetReadOnlyAdmin):
    list_display = [
        "__str__",
        "project",
        "number",
        "item_count",
        "excluded_count",
        "short_hash",
        "built_by",
        "built_at",
    ]
    list_filter = ["project"]
    list_select_related = ["project", "built_by"]
    search_fields = ["project__slug", "content_hash", "note"]
    fields = [
        "project",
        "number",
        "parent",
        "content_hash",
        "item_count",
        "settings",
        "excluded",
        "built_by",
        "built_at",
        "note",
        "links",
    ]
    readonly_fields = fields

    @admin.display(description="excluded")
    def excluded_count(self, version: DatasetVersion) -> int:
        return (version.excluded or {}).get("total", 0)

    @admin.display(description="content hash")
    def short_hash(self, version: DatasetVersion) -> str:
        return version.content_hash[:12]

    @admin.display(description="datasheet and downloads")
    def links(self, version: DatasetVersion) -> str:
        downloads = format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:projects_datasetversion_download", args=[version.pk, export_format]), export_format)
                for export_format in FORMATS
            ),
        )
        return format_html(
            '<a href="{}">Datasheet</a> · <a href="{}?version__id__exact={}">Items</a> · '
            '<a href="{}?version__id__exact={}">Exclusions</a> · Download: {}',
            reverse("admin:projects_datasetversion_datasheet", args=[version.pk]),
            reverse("admin:projects_datasetitem_changelist"),
            version.pk,
            reverse("admin:projects_datasetexclusion_changelist"),
            version.pk,
            downloads,
        )

    def get_urls(self):
        return [
            path(
                "<int:version_id>/datasheet/",
                self.admin_site.admin_view(self.datasheet_view),
                name="projects_datasetversion_datasheet",
            ),
            path(
                "<int:version_id>/download/<str:export_format>/",
                self.admin_site.admin_view(self.download_view),
                name="projects_datasetversion_download",
            ),
            *super().get_urls(),
        ]

    def _version(self, request: HttpRequest, version_id: int) -> DatasetVersion:
        if not self.has_view_permission(request):
            raise Http404
        return get_object_or_404(DatasetVersion.objects.select_related("project", "parent", "built_by"), pk=version_id)

    def datasheet_view(self, request: HttpRequest, version_id: int) -> HttpResponse:
        sheet = datasheet(self._version(request, version_id))
        context = {**self.admin_site.each_context(request), "sheet": sheet, "title": f"Datasheet of {sheet.version}"}
        return TemplateResponse(request, "datasets/datasheet.html", context)

    def download_view(self, request: HttpRequest, version_id: int, export_format: str) -> StreamingHttpResponse:
        version = self._version(request, version_id)
        if export_format not in FORMATS:
            raise Http404
        response = StreamingHttpResponse(
            export_chunks(version, export_format), content_type=CONTENT_TYPES[export_format]
        )
        response["Content-Disposition"] = f'attachment; filename="{export_file_name(version, export_format)}"'
        return response


@admin.register(DatasetItem)
class DatasetItemAdmin(DatasetReadOnlyAdmin):
    list_display = ["external_id", "version", "split", "language", "label", "method", "confidence"]
    list_filter = ["split", "method", "language", "version__project"]
    list_select_related = ["version__project"]
    search_fields = ["external_id"]
    fields = [
        "version",
        "task",
        "external_id",
        "language",
        "data",
        "label",
        "split",
        "method",
        "confidence",
        "provenance",
    ]
    readonly_fields = fields


@admin.register(DatasetExclusion)
class DatasetExclusionAdmin(DatasetReadOnlyAdmin):
    list_display = ["external_id", "version", "reason", "detail"]
    list_filter = ["reason", "version__project"]
    list_select_related = ["version__project"]
    search_fields = ["external_id"]
    fields = ["version", "task", "external_id", "reason", "detail"]
    readonly_fields = fields


@admin.action(description="Build a dataset version", permissions=["change"])
def build_dataset_version_action(modeladmin, request: HttpRequest, queryset) -> None:
    for project in queryset:
        with refusals_shown(request):
            version = build_dataset_version(
                project=project, actor=Actor.person(request.user, via="admin"), note="built from the admin"
            )
            modeladmin.message_user(
                request,
                format_html(
                    'Built <a href="{}">{}</a>: {} items, {} left out, hash {}.',
                    reverse("admin:projects_datasetversion_change", args=[version.pk]),
                    version,
                    version.item_count,
                    version.excluded.get("total", 0),
                    version.content_hash[:12],
                ),
                messages.SUCCESS,
            )


# The projects' admin lives in labeling.py; the dataset action belongs with the datasets.
LabelingProjectAdmin.actions = [*LabelingProjectAdmin.actions, build_dataset_version_action]
