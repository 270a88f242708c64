"""The admin of the large tables: tasks (and putting them in a batch), task imports, annotations."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from projects.admin.pagination import LargeTableAdmin
from projects.admin.refusals import refusals_shown
from projects.audit import Actor
from projects.labeling.batch_tasks import put_tasks_in_batch
from projects.models import Annotation, AnnotationVersion, Annotator, Batch, LabelingProject, Task, TaskImport


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, batch: Batch) -> str:
        vendor = batch.vendor.name if batch.vendor else "no vendor yet"
        return f"{batch.name} ({vendor}, {batch.get_status_display().lower()})"


class PutInBatchForm(forms.Form):
    """The batch chosen for tasks of one project: only that project's batches QA has not decided yet."""

    batch = BatchChoiceField(queryset=Batch.objects.none(), empty_label=None)

    def __init__(self, *args, project: LabelingProject, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = (
            Batch.objects.filter(project=project)
            .exclude(status__in=[Batch.Status.ACCEPTED, Batch.Status.REJECTED])
            .select_related("vendor")
            .order_by("due_at", "name")
        )


@admin.register(Task)
class TaskAdmin(LargeTableAdmin):
    # Newest first by primary key: the model's ordering sorts on the project's name across a join,
    # seconds over millions of rows; this is a backward index scan.
    ordering = ["-pk"]
    list_display = ["external_id", "project", "in_batch", "language", "is_gold", "status", "created_at"]
    list_filter = ["project", "language", "is_gold", "status"]
    # A batch's name shows its project's slug.
    list_select_related = ["project", "batch__project"]
    search_fields = ["external_id"]
    readonly_fields = ["task_import", "created_at"]
    raw_id_fields = ["batch"]
    actions = ["put_in_batch"]

    @admin.action(description="Put in batch (imported tasks not pushed yet)", permissions=["change"])
    def put_in_batch(self, request, queryset):
        """A page choosing one of the project's batches, then the move; tasks of several projects are refused."""
        projects = list(LabelingProject.objects.filter(pk__in=queryset.values("project_id")).order_by("name"))
        if len(projects) != 1:
            names = ", ".join(project.name for project in projects)
            self.message_user(
                request,
                f"The tasks chosen are of {len(projects)} projects ({names}): a batch takes one project's tasks, "
                "so choose tasks of one project. Nothing was moved.",
                messages.ERROR,
            )
            return None
        project = projects[0]
        form = PutInBatchForm(request.POST if "apply" in request.POST else None, project=project)
        if form.is_valid():
            batch = form.cleaned_data["batch"]
            with refusals_shown(request):
                result = put_tasks_in_batch(tasks=queryset, batch=batch, actor=Actor.person(request.user, via="admin"))
                already = f" ({result.already_there} were in it already)" if result.already_there else ""
                self.message_user(request, f"Put {result.moved} tasks in {batch}{already}.", messages.SUCCESS)
            return None
        select_across = request.POST.get("select_across") == "1"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Put tasks of {project} in a batch",
            "project": project,
            "form": form,
            "task_count": queryset.count(),
            # Every task chosen on the page goes back as a hidden field; "all N" goes back as the list's filters.
            "task_ids": [] if select_across else list(queryset.values_list("pk", flat=True)),
            "select_across": select_across,
            "tasks_shown": list(queryset.order_by("pk")[:10]),
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/projects/task/put_in_batch.html", context)

    # By the batch's id, an index scan, where the batch's own ordering (project, due date, name) would
    # sort every task.
    @admin.display(description="batch", ordering="batch_id")
    def in_batch(self, task: Task) -> Batch | None:
        return task.batch


@admin.register(TaskImport)
class TaskImportAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "project",
        "file_format",
        "encoding",
        "task_count",
        "redacted",
        "created_by",
        "created_at",
    ]
    list_select_related = ["project", "created_by"]

    @admin.display(description="PII redacted")
    def redacted(self, task_import: TaskImport) -> str:
        report = task_import.redaction_report or {}
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted((report.get("kinds") or {}).items()))
        return f"{report.get('values', 0)} ({kinds})" if kinds else "none"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AnnotationVersionInline(admin.TabularInline):
    model = AnnotationVersion
    extra = 0
    can_delete = False
    readonly_fields = ["version", "result", "was_cancelled", "lead_time", "updated_at", "recorded_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Annotation)
class AnnotationAdmin(LargeTableAdmin):
    # Newest first by primary key: the model's ordering sorts on the project's name across a join,
    # seconds over millions of rows; this is a backward index scan.
    ordering = ["-pk"]
    list_display = [
        "id",
        "on_task",
        "by_annotator",
        "was_cancelled",
        "lead_time",
        "version",
        "is_deleted",
        "updated_at",
    ]
    list_filter = ["is_deleted", "was_cancelled", "annotator__vendor"]
    list_select_related = ["task__project", "annotator__user", "annotator__vendor"]
    raw_id_fields = ["task", "annotator"]
    inlines = [AnnotationVersionInline]

    # Task and annotator sort by id, an index scan, where their own orderings (project name; vendor and
    # username) would join and sort every annotation.
    @admin.display(description="task", ordering="task_id")
    def on_task(self, annotation: Annotation) -> Task:
        return annotation.task

    @admin.display(description="annotator", ordering="annotator_id")
    def by_annotator(self, annotation: Annotation) -> Annotator | None:
        return annotation.annotator

    def has_add_permission(self, request) -> bool:
        # Annotations mirror Label Studio: they are made there and come back through the pull.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Annotations mirror Label Studio; they change there and come back through the pull.
        return False
