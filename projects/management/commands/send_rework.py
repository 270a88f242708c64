from __future__ import annotations

from django.core.management.base import CommandError

from projects.management.base import AnnotateCommand
from projects.models import Batch
from projects.quality.review.rework import send_rework


class Command(AnnotateCommand):
    writes = True
    help = (
        "Send a rejected batch's rejected annotations back to its vendor's Label Studio as rework, with the "
        "reviewer's feedback (only what was not sent yet; safe to rerun)."
    )
    refused_as = "Rework of batch {batch_id} stopped: {refusal}"

    def add_arguments(self, parser) -> None:
        parser.add_argument("batch_id", type=int)

    def handle(self, *args, batch_id: int, **options) -> None:
        batch = Batch.objects.select_related("project", "vendor").filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"No batch with id {batch_id}.")
        result = send_rework(batch=batch, actor=self.actor)
        where = ", ".join(result.project_urls) or "nothing to send"
        self.stdout.write(
            self.style.SUCCESS(
                f"Batch {batch_id} ({batch}): {result.sent} annotations sent back for rework, {result.recovered} "
                f"recovered from an earlier run. Label Studio: {where}"
            )
        )
