"""The Label Studio side in the admin: pushed projects with their drift, sync runs, webhook deliveries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from projects.admin.dispatch import run_or_queue
from projects.admin.refusals import refusals_shown
from projects.audit import Actor
from projects.jobs import pull_annotations_task
from projects.labelstudio.sync import check_drift, push_current_config
from projects.models import LabelStudioProject, SyncRun, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SyncRunInline(admin.TabularInline):
    model = SyncRun
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["kind", "started_at", "finished_at", "tasks_seen", "created", "updated", "deleted", "error"]
    readonly_fields = fields
    ordering = ["-started_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-started_at")


@admin.register(LabelStudioProject)
class LabelStudioProjectAdmin(ReadOnlyAdmin):
    list_display = [
        "batch",
        "connection",
        "open_in_label_studio",
        "config_version",
        "pushed_task_count",
        "drift_badge",
        "last_sync",
        "pulled_through",
    ]
    list_filter = ["connection", "batch__project"]
    list_select_related = ["batch__project", "connection", "config_version"]
    readonly_fields = [
        "batch",
        "connection",
        "label_studio_id",
        "open_in_label_studio",
        "config_version",
        "webhook_id",
        "pushed_task_count",
        "pulled_through",
        "drift",
        "drift_checked_at",
    ]
    exclude = ["label_studio_id"]
    inlines = [SyncRunInline]
    actions = ["pull_now", "check_drift_now", "push_current_version"]

    def get_queryset(self, request):
        last_run = SyncRun.objects.filter(label_studio_project=OuterRef("pk")).order_by("-started_at")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_at=Subquery(last_run.values("started_at")[:1]),
                last_run_error=Subquery(last_run.values("error")[:1]),
            )
        )

    @admin.display(description="Label Studio")
    def open_in_label_studio(self, label_studio_project: LabelStudioProject) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">project {}</a>',
            label_studio_project.browser_url,
            label_studio_project.label_studio_id,
        )

    @admin.display(description="drift", ordering="drift")
    def drift_badge(self, label_studio_project: LabelStudioProject) -> str:
        if label_studio_project.drift:
            return format_html(
                '<strong style="color:#ba2121" title="{}">⚠ drift</strong> {}',
                label_studio_project.drift,
                label_studio_project.drift,
            )
        if label_studio_project.drift_checked_at is None:
            return "not checked"
        return mark_safe('<span style="color:#447e36">in step</span>')

    @admin.display(description="last sync", ordering="last_run_at")
    def last_sync(self, label_studio_project: LabelStudioProject) -> str:
        if label_studio_project.last_run_at is None:
            return "never"
        if label_studio_project.last_run_error:
            return format_html(
                '<span style="color:#ba2121" title="{}">failed {}</span>',
                label_studio_project.last_run_error,
                label_studio_project.last_run_at.strftime("%Y-%m-%d %H:%M"),
            )
        return label_studio_project.last_run_at.strftime("%Y-%m-%d %H:%M")

    @admin.action(description="Pull annotations now")
    def pull_now(self, request, queryset) -> None:
        for label_studio_project in queryset:
            run_or_queue(
                request,
                pull_annotations_task,
                (label_studio_project.pk,),
                what=f"Pull of {label_studio_project}",
                done=lambda outcome: (
                    f"{outcome['created']} new, {outcome['updated']} changed, {outcome['deleted']} deleted."
                ),
            )

    @admin.action(description="Check for drift (config or guidelines edited in Label Studio)")
    def check_drift_now(self, request, queryset) -> None:
        for label_studio_project in queryset.select_related("batch__project", "connection"):
            with refusals_shown(request, what=str(label_studio_project)):
                drift = check_drift(label_studio_project)
                if drift:
                    messages.warning(request, f"{label_studio_project}: {drift}")
                else:
                    messages.success(request, f"{label_studio_project}: in step with annotate.")

    @admin.action(description="Push annotate's current label config and guidelines")
    def push_current_version(self, request, queryset) -> None:
        for label_studio_project in queryset.select_related("batch__project", "connection"):
            with refusals_shown(request, what=str(label_studio_project)):
                push_current_config(label_studio_project, actor=Actor.person(request.user, via="admin"))
                messages.success(
                    request,
                    f"{label_studio_project}: now runs annotate's v{label_studio_project.config_version.number}.",
                )


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "label_studio_project",
        "kind",
        "started_at",
        "finished_at",
        "tasks_seen",
        "created",
        "updated",
        "deleted",
        "short_error",
    ]
    list_filter = ["kind", "label_studio_project__connection"]
    list_select_related = ["label_studio_project__batch", "label_studio_project__connection"]
    date_hierarchy = "started_at"

    @admin.display(description="error")
    def short_error(self, run: SyncRun) -> str:
        return run.error[:120]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["action", "connection", "received_at", "processed_at", "error"]
    list_filter = ["action", "connection"]
    list_select_related = ["connection"]
    show_full_result_count = False
