from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from projects.admin.dispatch import run_or_queue
from projects.admin.display import joined
from projects.admin.overlap import OverlapPolicyInline
from projects.audit import Actor
from projects.ingest.errors import ImportRefused
from projects.ingest.uploads import import_upload
from projects.jobs import push_batch_task, send_rework_task
from projects.models import Batch, LabelingProject
from projects.quality.review.pages.decision import acceptance_rule
from projects.quality.review.taxonomy import ensure_default_error_categories
from projects.quality.sampling.review_queue import open_review_queue
from projects.reporting.charts import progress_charts
from projects.reporting.dashboard import DEFAULT_HOURS_PER_DAY, batch_what_if, project_dashboard
from projects.reporting.list_counts import batches_with_counts, projects_with_counts


class TaskFileForm(forms.Form):
    file = forms.FileField(help_text="CSV, JSONL or Label Studio JSON; UTF-8 (with or without BOM) or GB18030.")
    batch = forms.ModelChoiceField(queryset=Batch.objects.none(), required=False)

    def __init__(self, *args, project: LabelingProject, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = Batch.objects.filter(project=project)


class WhatIfForm(forms.Form):
    """The dashboard's what-if for one open batch: more (or fewer) annotators, another due date. Nothing is saved."""

    batch = forms.IntegerField(widget=forms.HiddenInput)
    add_annotators = forms.IntegerField(initial=0, min_value=-1000, max_value=1000, label="add annotators")
    due = forms.DateField(required=False, label="due date", widget=forms.DateInput(attrs={"type": "date"}))
    hours_per_day = forms.FloatField(
        initial=DEFAULT_HOURS_PER_DAY, min_value=0.5, max_value=24, label="hours per annotator per day"
    )


def _progress_cell(done: int, total: int) -> str:
    share = (done / total * 100) if total else 0
    return format_html(
        '<span title="{} of {}">{} / {} <small>({}%)</small></span>', done, total, done, total, round(share)
    )


class BatchInline(admin.TabularInline):
    model = Batch
    extra = 0
    fields = ["name", "vendor", "target_count", "due_at", "status"]
    show_change_link = True


# The clean reviews a sample needs to accept at a few acceptable quality levels (`acceptance.minimum_sample_size`).
AQL_EXAMPLES = (
    "Clean reviews needed: "
    + ", ".join(f"AQL {aql:.0%}: {acceptance_rule(aql).minimum}" for aql in (0.01, 0.02, 0.05, 0.1))
    + "."
)


@admin.register(LabelingProject)
class LabelingProjectAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "status",
        "language_list",
        "overlap",
        "batch_count",
        "tasks",
        "gold_count",
        "dashboard_link",
    ]
    list_filter = ["status"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [BatchInline, OverlapPolicyInline]
    change_form_template = "admin/projects/labelingproject/change_form.html"

    def get_queryset(self, request):
        return projects_with_counts()

    @admin.display(description="languages")
    def language_list(self, project: LabelingProject) -> str:
        return joined(project.languages)

    @admin.display(description="batches", ordering="batch_count")
    def batch_count(self, project: LabelingProject) -> int:
        return project.batch_count

    @admin.display(description="annotated / tasks", ordering="task_count")
    def tasks(self, project: LabelingProject) -> str:
        return _progress_cell(project.annotated_count, project.task_count)

    @admin.display(description="gold", ordering="gold_count")
    def gold_count(self, project: LabelingProject) -> int:
        return project.gold_count

    @admin.display(description="dashboard")
    def dashboard_link(self, project: LabelingProject) -> str:
        return format_html(
            '<a href="{}">Dashboard</a>', reverse("admin:projects_labelingproject_dashboard", args=[project.pk])
        )

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            ensure_default_error_categories(project=obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("acceptable_quality_level")
        if field is not None:
            aql = obj.acceptable_quality_level if obj else field.initial
            rule = acceptance_rule(aql)
            field.help_text = (
                f"{rule.sentence} A batch is accepted when the Wilson 95% upper bound of its QA error rate is "
                f"below this, so each QA sample draws at least that many annotations (or the whole batch, which "
                f"then cannot be accepted). {AQL_EXAMPLES}"
            )
        return form

    def get_urls(self):
        return [
            path(
                "<int:project_id>/import/",
                self.admin_site.admin_view(self.import_view),
                name="projects_labelingproject_import",
            ),
            path(
                "<int:project_id>/dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="projects_labelingproject_dashboard",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest, project_id: int) -> HttpResponse:
        project = get_object_or_404(LabelingProject, pk=project_id)
        if not self.has_view_permission(request, project):
            return HttpResponse(status=403)
        dashboard = project_dashboard(project=project)
        what_if = None
        what_if_form = WhatIfForm(request.GET) if "batch" in request.GET else None
        if what_if_form is not None and what_if_form.is_valid():
            wanted = what_if_form.cleaned_data
            batch = next((batch for batch in dashboard.open_batches if batch.pk == wanted["batch"]), None)
            if batch is not None:
                what_if = batch_what_if(
                    batch=batch,
                    add_annotators=wanted["add_annotators"],
                    due=wanted["due"],
                    hours_per_day=wanted["hours_per_day"],
                )
        progress = dashboard.progress
        progress_chart, throughput_chart = progress_charts(
            [f"{day:%m-%d}" for day in progress.days], progress.cumulative, progress.planned, progress.labels_per_day
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Dashboard: {project}",
            "project": project,
            "dashboard": dashboard,
            "progress_chart": progress_chart,
            "throughput_chart": throughput_chart,
            "what_if": what_if,
            "what_if_form": what_if_form,
            "default_hours_per_day": DEFAULT_HOURS_PER_DAY,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/projects/labelingproject/dashboard.html", context)

    def import_view(self, request: HttpRequest, project_id: int) -> HttpResponse:
        project = get_object_or_404(LabelingProject, pk=project_id)
        if not self.has_change_permission(request, project):
            return HttpResponse(status=403)
        form = TaskFileForm(request.POST or None, request.FILES or None, project=project)
        import_errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_upload(
                    project=project,
                    upload=upload,
                    batch=form.cleaned_data["batch"],
                    actor=Actor.person(request.user, via="admin"),
                )
            except ImportRefused as refused:  # shown row by row beside the form, not as one message
                import_errors = [str(error) for error in refused.errors]
                if refused.more:
                    import_errors.append("… more errors not shown.")
            else:
                self.message_user(
                    request,
                    f"Imported {result.task_count} tasks ({result.gold_count} gold) from {upload.name}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:projects_labelingproject_change", args=[project.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import tasks into {project}",
            "project": project,
            "form": form,
            "import_errors": import_errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/projects/labelingproject/import.html", context)


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "vendor", "status", "due_at", "target_count", "tasks"]
    list_filter = ["status", "vendor", "project"]
    search_fields = ["name", "project__slug"]
    actions = ["push_to_label_studio", "draw_qa_sample", "send_rework"]

    @admin.action(description="Send rejected annotations back to the vendor as rework (rejected batches)")
    def send_rework(self, request, queryset) -> None:
        for batch in queryset:
            run_or_queue(
                request,
                send_rework_task,
                (batch.pk,),
                what=f"Rework of {batch}",
                done=lambda outcome: f"{outcome['sent']} annotations sent back for rework.",
            )

    @admin.action(description="Aggregate the labels and draw the QA sample (the batch id is the seed)")
    def draw_qa_sample(self, request, queryset) -> None:
        for batch in queryset:
            sample = open_review_queue(batch=batch, actor=Actor.person(request.user, via="admin"))
            size = sample.items.count()
            rule = acceptance_rule(batch.project.acceptable_quality_level, size)
            self.message_user(
                request,
                format_html(
                    '{}: {} annotations to review — <a href="{}">open the review queue</a>. {}{}',
                    batch,
                    size,
                    reverse("review-queue", args=[batch.pk]),
                    rule.sentence,
                    " The batch has too few annotations: it cannot be accepted from its sample, only rejected."
                    if rule.cannot_accept
                    else "",
                ),
                messages.WARNING if rule.cannot_accept else messages.SUCCESS,
            )

    @admin.action(description="Push to the vendor's Label Studio (only what is missing)")
    def push_to_label_studio(self, request, queryset) -> None:
        for batch in queryset:
            run_or_queue(
                request,
                push_batch_task,
                (batch.pk,),
                what=f"Push of {batch}",
                done=lambda outcome: (
                    f"{outcome['pushed']} new tasks sent (Label Studio project {outcome['label_studio_project_id']})."
                ),
            )

    def get_queryset(self, request):
        return batches_with_counts()

    @admin.display(description="annotated / tasks", ordering="task_count")
    def tasks(self, batch: Batch) -> str:
        return _progress_cell(batch.annotated_count, batch.task_count)
