from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from projects.management.base import AnnotateCommand
from projects.models import Batch
from projects.quality.review.rework import send_rework


class Command(AnnotateCommand):
    help = (
        "Send a rejected batch's rejected annotations back to its vendor's Label Studio as rework, with the "
        "reviewer's feedback (only what was not sent yet; safe to rerun)."
    )
    refused_as = "Rework of batch {batch_id} stopped: {refusal}"

    def add_arguments(self, parser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--by", metavar="USERNAME", help="Who sends it back, for the record.")

    def handle(self, *args, batch_id: int, by: str | None, **options) -> None:
        batch = Batch.objects.select_related("project", "vendor").filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"No batch with id {batch_id}.")
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"No user named {by!r}.")
        result = send_rework(batch=batch, user=user)
        where = ", ".join(result.project_urls) or "nothing to send"
        self.stdout.write(
            self.style.SUCCESS(
                f"Batch {batch_id} ({batch}): {result.sent} annotations sent back for rework, {result.recovered} "
                f"recovered from an earlier run. Label Studio: {where}"
            )
        )
