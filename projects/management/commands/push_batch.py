from __future__ import annotations

from django.core.management.base import CommandError
from tqdm import tqdm

from projects.labelstudio.push import push_batch
from projects.management.base import AnnotateCommand
from projects.models import Batch


class Command(AnnotateCommand):
    writes = True
    help = "Push a batch's tasks to its vendor's Label Studio server (only what is missing; safe to rerun)."
    refused_as = "Push of batch {batch_id} stopped: {refusal}"

    def add_arguments(self, parser) -> None:
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, batch_id: int, no_progress: bool, **options) -> None:
        batch = Batch.objects.select_related("project", "vendor").filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"No batch with id {batch_id}.")
        bar = tqdm(desc="pushing", unit="task", disable=no_progress)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            result = push_batch(batch=batch, actor=self.actor, progress=progress)
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Batch {batch_id} ({batch}): {result.pushed} tasks pushed, {result.recovered} recovered from an "
                f"earlier run, {result.already_there} already there. Label Studio: {result.project_url}"
            )
        )
        gold = result.gold
        if gold is not None and gold.added:
            self.stdout.write(
                f"Gold mixed in from the project's gold set: {gold.added} (the batch holds {gold.wanted})."
            )
        if gold is not None and gold.short:
            self.stderr.write(
                self.style.WARNING(
                    f"{gold.short} gold tasks short of the project's gold rate: the gold set has no more items this "
                    "vendor may see. Import more gold items into the project (without a batch)."
                )
            )
