from __future__ import annotations

from django.core.management.base import CommandError

from projects.evaluation.bad_cases import send_bad_cases
from projects.management.base import AnnotateCommand
from projects.models import EvaluationRun, Vendor


class Command(AnnotateCommand):
    writes = True
    help = "Send an evaluation run's wrong and low-confidence items back to labeling as a new, pre-annotated batch."

    def add_arguments(self, parser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument("--confidence-below", type=float, default=0.6, help="Right but less sure than this.")
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--vendor", default=None, help="Vendor slug (default: the original tasks' vendor).")

    def handle(self, *args, run_id: int, confidence_below: float, limit: int | None, **options) -> None:
        run = EvaluationRun.objects.select_related("dataset_version__project").filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"No evaluation run with id {run_id}.")
        vendor = None
        if options["vendor"]:
            vendor = Vendor.objects.filter(slug=options["vendor"]).first()
            if vendor is None:
                raise CommandError(f"No vendor {options['vendor']!r}.")
        batch = send_bad_cases(run=run, actor=self.actor, confidence_below=confidence_below, limit=limit, vendor=vendor)
        self.stdout.write(
            self.style.SUCCESS(
                f"Batch {batch.name!r} (id {batch.pk}) in {batch.project.slug}: {batch.target_count} tasks, "
                f"vendor {batch.vendor or 'none yet'}. Push it with push_batch."
            )
        )
