"""Model evaluations in the admin: runs to read (never to edit), their HTML report, and sending bad cases to labeling.

Evaluations are internal: project managers and QA reviewers read them; only project managers send
bad cases back as a batch, through `send_bad_cases`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from projects.access.roles import INTERNAL_ROLES, PROJECT_MANAGER, role_of
from projects.admin.refusals import refusals_shown
from projects.audit import Actor
from projects.evaluation.bad_cases import send_bad_cases
from projects.evaluation.prelabel import prelabel_acceptance, prelabel_rows
from projects.models import EvaluationPrediction, EvaluationRun, LabelingProject
from projects.reporting.charts import bar_chart, heat_map


def _is_internal(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_staff and role_of(request.user) in INTERNAL_ROLES


@admin.action(description="Send bad cases to labeling", permissions=["send"])
def send_bad_cases_action(modeladmin, request: HttpRequest, queryset) -> None:
    for run in queryset.select_related("dataset_version__project"):
        with refusals_shown(request):
            batch = send_bad_cases(run=run, actor=Actor.person(request.user, via="admin"))
            modeladmin.message_user(
                request,
                format_html(
                    'Sent {} bad cases of run {} as batch <a href="{}">{}</a>.',
                    batch.target_count,
                    run.pk,
                    reverse("admin:projects_batch_change", args=[batch.pk]),
                    batch.name,
                ),
                messages.SUCCESS,
            )


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "dataset_version",
        "control",
        "model_name",
        "model_version",
        "accuracy",
        "item_count",
        "missing_count",
        "created_by",
        "created_at",
        "report_link",
    ]
    list_filter = ["dataset_version__project", "control", "model_name"]
    list_select_related = ["dataset_version__project", "created_by"]
    search_fields = ["model_name", "model_version", "source"]
    fields = [
        "dataset_version",
        "control",
        "model_name",
        "model_version",
        "source",
        "item_count",
        "missing_count",
        "created_by",
        "created_at",
        "report_link",
    ]
    readonly_fields = fields
    actions = [send_bad_cases_action]
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

    def has_send_permission(self, request: HttpRequest) -> bool:
        return _is_internal(request) and role_of(request.user) == PROJECT_MANAGER

    @admin.display(description="accuracy")
    def accuracy(self, run: EvaluationRun) -> str:
        value = (run.metrics or {}).get("accuracy")
        return "—" if value is None else f"{value:.3f}"

    @admin.display(description="report")
    def report_link(self, run: EvaluationRun) -> str:
        return format_html('<a href="{}">Report</a>', reverse("admin:projects_evaluationrun_report", args=[run.pk]))

    def get_urls(self):
        return [
            path(
                "prelabel/<int:project_id>/",
                self.admin_site.admin_view(self.prelabel_view),
                name="projects_evaluationrun_prelabel",
            ),
            path(
                "<int:run_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="projects_evaluationrun_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        run = get_object_or_404(
            EvaluationRun.objects.select_related("dataset_version__project", "created_by"), pk=run_id
        )
        context = {
            **self.admin_site.each_context(request),
            **report_context(run),
            "title": f"Evaluation report: {run}",
        }
        return TemplateResponse(request, "evaluation/report.html", context)

    def prelabel_view(self, request: HttpRequest, project_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        project = get_object_or_404(LabelingProject, pk=project_id)
        context = {
            **self.admin_site.each_context(request),
            "project": project,
            "controls": prelabel_acceptance(prelabel_rows(project)),
            "title": f"Pre-label acceptance: {project.name}",
        }
        return TemplateResponse(request, "evaluation/prelabel.html", context)


def report_context(run: EvaluationRun) -> dict[str, Any]:
    """What the report page shows, from the report stored on the run; the charts as safe SVG strings."""
    report = run.metrics or {}
    # charts.py escapes every text it writes, so its SVG may be marked safe.
    labels = [str(label) for label in report.get("labels", [])]
    calibration = report.get("calibration")
    reliability = None
    if calibration:
        # A bin no score fell in has no accuracy; drawing it as 0 would read as "all wrong".
        bins = [entry for entry in calibration["bins"] if entry["accuracy"] is not None]
        reliability = mark_safe(
            bar_chart(
                [f"{entry['low']:.1f}–{entry['high']:.1f}" for entry in bins],
                [entry["accuracy"] for entry in bins],
                title="Accuracy per score bin (reliability)",
            )
        )
    return {
        "run": run,
        "report": report,
        "heat_map": mark_safe(
            heat_map(
                labels,
                labels,
                report.get("confusion_matrix", []),
                title="Confusion matrix",
                row_title="gold ↓",
                column_title="predicted →",
            )
        ),
        "reliability": reliability,
        "wrong_count": EvaluationPrediction.objects.filter(run=run, correct=False).count(),
    }
