from __future__ import annotations

from django.core.management.base import CommandError

from projects.evaluation.prelabel import Share, prelabel_acceptance, prelabel_rows
from projects.management.base import AnnotateCommand
from projects.models import LabelingProject


def _percent(value: Share) -> str:
    if value.value is None:
        return "—"
    return f"{value.value:.0%} ({value.successes}/{value.trials}, {value.low:.0%}–{value.high:.0%})"


class Command(AnnotateCommand):
    help = "Pre-label acceptance per model version and class: kept by annotators, accepted by QA, machine quality."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project_slug")

    def handle(self, *args, project_slug: str, **options) -> None:
        project = LabelingProject.objects.filter(slug=project_slug).first()
        if project is None:
            raise CommandError(f"No project with slug {project_slug!r}.")
        controls = prelabel_acceptance(prelabel_rows(project))
        if not controls:
            self.stdout.write("No answered tasks with predictions on a single-choice control.")
            return
        for control in controls:
            self.stdout.write(f"\nmodel version {control.model_version or '(none)'}, control {control.control}")
            self.stdout.write(
                "  class | seen | kept | kept, QA accepted | changed, QA accepted | machine label quality"
            )
            for line in [*control.classes, control.total]:
                self.stdout.write(
                    f"  {line.predicted if line.predicted is not None else 'all'} | {line.seen} | "
                    f"{_percent(line.kept)} | {_percent(line.kept_accepted)} | "
                    f"{_percent(line.changed_accepted)} | {_percent(line.machine_quality)}"
                )
