from __future__ import annotations

from projects.demo.live import bring_demo_to_life, suggested_login
from projects.demo.qa import work_last_week_offline
from projects.demo.services import build_demo
from projects.management.base import AnnotateCommand
from projects.quality.review.pages.decision import bound_text
from projects.reporting.list_counts import projects_with_counts


class Command(AnnotateCommand):
    help = "Load the demo: a bilingual aftersales project, two vendors, six annotators, gold tasks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="Same seed, same demo data.")
        parser.add_argument("--tasks-per-batch", type=int, default=60)
        parser.add_argument("--reset", action="store_true", help="Delete the demo project and build it again.")
        parser.add_argument(
            "--label-studio",
            action="store_true",
            help="Push to the vendors' local Label Studio servers, label as the simulated workforce, pull back.",
        )

    def handle(self, *args, seed: int, tasks_per_batch: int, reset: bool, label_studio: bool, **options) -> None:
        result = build_demo(seed=seed, tasks_per_batch=tasks_per_batch, reset=reset)
        project = projects_with_counts().get(pk=result.project.pk)
        verb = "Loaded" if result.created else "Kept the existing"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo project {project.slug}: {project.task_count} tasks ({project.gold_count} gold) "
                f"in {project.batch_count} batches."
            )
        )
        if not label_studio:
            for outcome in work_last_week_offline(result.project, seed=seed):
                decision = outcome.decision
                verdict = "accepted" if decision.accepted else "rejected"
                bound = bound_text(decision.upper_bound, float(decision.aql))
                self.stdout.write(
                    f"  {outcome.batch.name}: labeled, {decision.sample_size} sampled annotations reviewed, "
                    f"{decision.errors} errors (Wilson upper bound {bound}, "
                    f"AQL {float(decision.aql):.1%}): {verdict}."
                )
        if label_studio:
            live = bring_demo_to_life(password=result.password, seed=seed, say=self.stdout.write)
            for outcome in live.syncs:
                if outcome.error:
                    self.stderr.write(self.style.ERROR(f"  {outcome.label_studio_project}: {outcome.error}"))
            project = projects_with_counts().get(pk=result.project.pk)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Label Studio: {live.pushed} tasks pushed, {live.labeled} labels made, "
                    f"{project.annotated_count} tasks annotated in annotate; "
                    f"{len(live.qa_samples)} QA samples for the qa account, {live.sla.checked} batches SLA-checked."
                )
            )
        self.stdout.write(f"Demo logins (password for all: {result.password}):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<12} {role}")
        if label_studio:
            for connection in live.connections:
                self.stdout.write(
                    f"Label Studio for {connection.vendor.name}: {connection.browser_url}/user/login/ "
                    f"— sign in as an annotator of that vendor, e.g. {suggested_login(connection)}"
                )
