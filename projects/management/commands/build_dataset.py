from __future__ import annotations

from django.core.management.base import CommandError

from projects.datasets.builds import build_dataset_version
from projects.management.base import AnnotateCommand
from projects.management.progress import PhaseProgress
from projects.models import LabelingProject


class Command(AnnotateCommand):
    writes = True
    help = "Build the project's next gold dataset version from its current labels (refused when nothing changed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("project_slug")
        parser.add_argument("--note", default="", help="Why this version, shown on its datasheet.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, project_slug: str, note: str, no_progress: bool, **options) -> None:
        project = LabelingProject.objects.filter(slug=project_slug).first()
        if project is None:
            raise CommandError(f"No project with slug {project_slug!r}.")
        progress = PhaseProgress(disable=no_progress)
        try:
            version = build_dataset_version(project=project, actor=self.actor, note=note, progress=progress)
        finally:
            progress.close()
        excluded = ", ".join(f"{count} {reason}" for reason, count in version.excluded.items() if reason != "total")
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {version} (id {version.pk}): {version.item_count} items, "
                f"{version.excluded.get('total', 0)} left out ({excluded or 'none'}), "
                f"content hash {version.content_hash}"
            )
        )
