"""What every annotate command shares: a refusal from a use case ends it as a CommandError, once; a command that
writes names its actor (`--by USERNAME`, else the shell login that ran it) for the audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.audit import Actor
from projects.errors import Refusal


class AnnotateCommand(BaseCommand):
    """A management command over annotate's use cases.

    `refused_as` words a refusal for this command, formatted with the command's options and
    `refusal` (the use case's message): e.g. "Push of batch {batch_id} stopped: {refusal}".
    A command with `writes = True` takes `--by USERNAME` and passes `self.actor` to its use cases.
    """

    refused_as = "{refusal}"
    writes = False
    actor: Actor

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if self.writes:
            parser.add_argument(
                "--by",
                metavar="USERNAME",
                default=None,
                help="The person the audit log names for what this command changes (default: the shell login).",
            )
        return parser

    def execute(self, *args, **options):
        if self.writes:
            self.actor = Actor.shell(self._command_name(), self._person(options.get("by")))
        try:
            return super().execute(*args, **options)
        except Refusal as refusal:
            raise CommandError(self.refused_as.format(refusal=refusal, **options)) from None

    def _command_name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    @staticmethod
    def _person(username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--by {username}: no active user of that name.")
        return user
