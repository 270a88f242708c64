from __future__ import annotations

from django.core.management.base import BaseCommand

from projects.demo.services import build_demo
from projects.labeling.queries import projects_with_counts


class Command(BaseCommand):
    help = "Load the demo: a bilingual aftersales project, two vendors, six annotators, gold tasks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same demo data.")
        parser.add_argument("--tasks-per-batch", type=int, default=60)
        parser.add_argument("--reset", action="store_true", help="Delete the demo project and build it again.")

    def handle(self, *args, seed: int, tasks_per_batch: int, reset: bool, **options) -> None:
        result = build_demo(seed=seed, tasks_per_batch=tasks_per_batch, reset=reset)
        project = projects_with_counts().get(pk=result.project.pk)
        verb = "Loaded" if result.created else "Kept the existing"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo project {project.slug}: {project.task_count} tasks ({project.gold_count} gold) "
                f"in {project.batch_count} batches."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {result.password}):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<12} {role}")
