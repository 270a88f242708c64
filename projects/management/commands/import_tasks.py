from __future__ import annotations

from django.core.management.base import CommandError

from projects.ingest.services import import_tasks
from projects.management.base import AnnotateCommand
from projects.management.progress import PhaseProgress
from projects.models import Batch, LabelingProject


class Command(AnnotateCommand):
    writes = True
    help = "Import tasks from a CSV, JSONL or Label Studio JSON file into a labeling project (all or nothing)."
    refused_as = "Nothing was imported.\n{refusal}"

    def add_arguments(self, parser) -> None:
        parser.add_argument("project_slug")
        parser.add_argument("file")
        parser.add_argument("--batch", help="Name of a batch of the project to put the tasks in.")
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")

    def handle(self, *args, project_slug: str, file: str, batch: str | None, no_progress: bool, **options) -> None:
        try:
            project = LabelingProject.objects.get(slug=project_slug)
        except LabelingProject.DoesNotExist:
            raise CommandError(f"No labeling project with slug {project_slug!r}.") from None
        target_batch = None
        if batch:
            target_batch = Batch.objects.filter(project=project, name=batch).first()
            if target_batch is None:
                raise CommandError(f"Project {project_slug} has no batch named {batch!r}.")
        progress = PhaseProgress(disable=no_progress)
        try:
            result = import_tasks(project=project, path=file, batch=target_batch, actor=self.actor, progress=progress)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        finally:
            progress.close()
        languages = ", ".join(f"{language} {count}" for language, count in sorted(result.languages.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.task_count} tasks ({result.gold_count} gold) into {project.slug} "
                f"from {result.file_format} ({result.encoding}); languages: {languages or 'none'}."
            )
        )
        if result.past_work_count:
            self.stdout.write(
                f"Past work: {result.past_work_count} annotations, with their own times, lead times and annotators."
            )
        self.stdout.write(redaction_summary(result.redaction_report))


def redaction_summary(report: dict) -> str:
    """One line on what the import masked, from the counts it stored (never the values)."""
    if not report.get("policy"):
        return "Redaction: off for this project."
    if not report.get("values"):
        return f"Redaction ({', '.join(report['policy'])}): nothing found."
    kinds = ", ".join(f"{kind} {count}" for kind, count in report["kinds"].items())
    kept = "originals kept" if report["originals_kept"] else "originals not kept"
    return f"Redacted {report['values']} values in {report['tasks']} tasks ({kinds}); {kept}."
