from __future__ import annotations

from django.core.management.base import CommandError

from projects.labelstudio.tenancy import find_shared_servers
from projects.management.base import AnnotateCommand


class Command(AnnotateCommand):
    help = (
        "List Label Studio servers that connections of different vendors share (a Community server serves one "
        "vendor: every user on it can read every project). Online (the default), each active connection's server "
        "is asked who it is, which finds one server behind two addresses; --offline compares addresses and the "
        "identities recorded at the last check or push. Exits non-zero when a server is shared."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--offline", action="store_true", help="Do not call the servers; use what annotate has recorded."
        )

    def handle(self, *args, offline: bool, **options) -> None:
        report = find_shared_servers(online=not offline)
        for line in report.unreadable:
            self.stderr.write(f"Could not ask the server who it is: {line}")
        for shared in report.shared:
            self.stdout.write(shared.describe())
        if report.shared:
            count = len(report.shared)
            raise CommandError(f"{count} Label Studio server{'s are' if count > 1 else ' is'} shared by vendors.")
        self.stdout.write(self.style.SUCCESS("No Label Studio server is shared by two vendors."))
