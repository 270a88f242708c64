from __future__ import annotations

from django.core.management.base import CommandError

from projects.jobs import refresh_dashboards_task
from projects.labelstudio.adoption import adopt_project
from projects.management.base import AnnotateCommand
from projects.models import LabelStudioConnection


class Command(AnnotateCommand):
    writes = True
    help = (
        "Adopt a Label Studio project annotate did not push: its config, tasks and annotations (with their own "
        "timestamps, lead times and authors) into a labeling project and batch, pulled from then on. Safe to rerun."
    )
    refused_as = "Label Studio project {label_studio_project_id} was not adopted: {refusal}"

    def add_arguments(self, parser) -> None:
        parser.add_argument("connection", help="Name of the Label Studio connection.")
        parser.add_argument("label_studio_project_id", type=int)
        parser.add_argument("--project", required=True, help="Slug of the labeling project (made if new).")
        parser.add_argument("--batch", default=None, help="Batch name (default: the Label Studio project's title).")

    def handle(self, *args, connection: str, label_studio_project_id: int, project: str, batch: str | None, **options):
        found = LabelStudioConnection.objects.select_related("vendor").filter(name=connection).first()
        if found is None:
            names = ", ".join(LabelStudioConnection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No Label Studio connection named {connection!r} (connections: {names}).")
        result = adopt_project(
            connection=found, label_studio_project_id=label_studio_project_id, project_slug=project,
            batch_name=batch, actor=self.actor,
        )  # fmt: skip
        refresh_dashboards_task.delay()  # the adopted history's tallies and flags, as after a pull
        counts = result.annotations
        made = [
            "project created" if result.project_created else "project matched",
            "batch created" if result.batch_created else "batch matched",
        ]
        self.stdout.write(
            self.style.SUCCESS(
                f"Adopted Label Studio project {label_studio_project_id} as {result.label_studio_project.batch} "
                f"({', '.join(made)}): {result.tasks_created} tasks new, {result.tasks_matched} already there; "
                f"{counts.created} annotations new, {counts.updated} changed, {counts.unchanged} unchanged; "
                f"{result.accounts_linked} annotators linked to their Label Studio users."
            )
        )
