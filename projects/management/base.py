"""What every annotate command shares: a refusal from a use case ends it as a CommandError, once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from projects.errors import Refusal


class AnnotateCommand(BaseCommand):
    """A management command over annotate's use cases.

    `refused_as` words a refusal for this command, formatted with the command's options and
    `refusal` (the use case's message): e.g. "Push of batch {batch_id} stopped: {refusal}".
    """

    refused_as = "{refusal}"

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except Refusal as refusal:
            raise CommandError(self.refused_as.format(refusal=refusal, **options)) from None
