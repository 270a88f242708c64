from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from projects.management.base import AnnotateCommand
from projects.models import LabelingProject
from projects.reporting.weekly import email_report, weekly_report, write_report


class Command(AnnotateCommand):
    help = (
        "Write a project's weekly report for an ISO week: an HTML page with charts and CSV tables (deliveries, "
        "quality, SLA events, error categories, cost), into var/reports/ unless told; optionally e-mail it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="The project's slug.")
        parser.add_argument("--week", required=True, help="ISO week, e.g. 2026-W47.")
        parser.add_argument("--output", type=Path, default=None, help="Folder to write into (default var/reports/).")
        parser.add_argument("--email", default=None, help="Also send the HTML page to this address.")

    def handle(self, *args, **options) -> None:
        try:
            project = LabelingProject.objects.get(slug=options["project"])
        except LabelingProject.DoesNotExist as error:
            raise CommandError(f"No project with the slug {options['project']!r}.") from error
        report = weekly_report(project=project, week=options["week"])
        output = options["output"] or Path(settings.VAR_DIR) / "reports"
        written = write_report(report, output=output)
        for path in written:
            self.stdout.write(str(path))
        if options["email"]:
            email_report(report, page=written[0], to=options["email"])
            self.stdout.write(f"Sent to {options['email']}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{project.slug} {report.week}: {report.annotated} tasks annotated, {report.labels} labels."
            )
        )
