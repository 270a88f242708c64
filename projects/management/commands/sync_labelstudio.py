from __future__ import annotations

from django.core.management.base import CommandError
from tqdm import tqdm

from projects.audit import Actor
from projects.labelstudio.sync import sync_all
from projects.management.base import AnnotateCommand
from projects.workforce.overlap import apply_overlap_policies

# Dynamic overlap's raises are the policy's decisions, whoever ran the pull.
OVERLAP_POLICY = Actor.system("overlap policy", via="command sync_labelstudio")


class Command(AnnotateCommand):
    writes = True
    help = "Pull annotations from Label Studio (incremental from the stored cursor unless --full)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--project", help="Slug of one labeling project.")
        parser.add_argument("--full", action="store_true", help="Read whole projects instead of what changed.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, project: str | None, full: bool, no_progress: bool, **options) -> None:
        bars: list[tqdm] = []

        def progress_for(label_studio_project):
            bar = tqdm(desc=str(label_studio_project.batch)[:40], unit="task", disable=no_progress)
            bars.append(bar)

            def progress(done: int, total: int | None) -> None:
                bar.total = total
                bar.update(done - bar.n)

            return progress

        outcomes = sync_all(actor=self.actor, project_slug=project, full=full, progress_for=progress_for)
        for bar in bars:
            bar.close()
        failed = 0
        for outcome in outcomes:
            name = f"{outcome.label_studio_project.batch} ({outcome.label_studio_project.connection.name})"
            if outcome.error:
                failed += 1
                self.stderr.write(self.style.ERROR(f"{name}: {outcome.error}"))
                continue
            run = outcome.run
            self.stdout.write(
                f"{name}: {run.get_kind_display().lower()}, {run.tasks_seen} tasks read, {run.created} new, "
                f"{run.updated} changed, {run.deleted} deleted"
            )
            if outcome.drift:
                self.stdout.write(self.style.WARNING(f"  drift: {outcome.drift}"))
        for slug, overlap_run in apply_overlap_policies(actor=OVERLAP_POLICY, project_slug=project).items():
            self.stdout.write(
                f"{slug}: overlap raised on {overlap_run.raised} tasks, {overlap_run.stopped} done, "
                f"{overlap_run.waiting} waiting, {overlap_run.reapplied} re-applied after drift"
            )
            for problem in overlap_run.drifted + overlap_run.errors:
                self.stdout.write(self.style.WARNING(f"  overlap: {problem}"))
        if not outcomes:
            self.stdout.write("Nothing pushed yet: no Label Studio project to pull.")
        if failed:
            raise CommandError(f"{failed} of {len(outcomes)} projects could not be pulled; the next run resumes them.")
