from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from projects.labelstudio.connections import check_connection
from projects.labelstudio.tenancy import refuse_shared_server
from projects.management.base import AnnotateCommand
from projects.models import LabelStudioConnection, Vendor


class Command(AnnotateCommand):
    help = (
        "Register (or update) a Label Studio server and check it. The URL defaults to $LABEL_STUDIO_URL and the "
        "token is read from the environment variable --token-env-var names (default LABEL_STUDIO_TOKEN)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="A name for the connection, e.g. lingua-works-prod.")
        parser.add_argument("--url", default=settings.LABEL_STUDIO_URL)
        parser.add_argument("--vendor", help="Slug of the vendor this server serves (required for Community).")
        parser.add_argument("--enterprise", action="store_true", help="An Enterprise server (may serve several).")
        parser.add_argument("--token-env-var", default="LABEL_STUDIO_TOKEN")

    def handle(self, *args, name: str, url: str, vendor: str | None, enterprise: bool, token_env_var: str, **options):
        serving = None
        if vendor:
            serving = Vendor.objects.filter(slug=vendor).first()
            if serving is None:
                raise CommandError(f"No vendor with slug {vendor!r}.")
        elif not enterprise:
            raise CommandError("A Community server serves exactly one vendor: give --vendor SLUG (or --enterprise).")
        connection = LabelStudioConnection.objects.filter(name=name).first() or LabelStudioConnection(name=name)
        created = connection.pk is None
        connection.url = url
        connection.vendor = serving
        connection.token_env_var = token_env_var
        connection.edition = LabelStudioConnection.Edition.ENTERPRISE if enterprise else "community"
        try:
            connection.full_clean()  # a server another vendor's connection uses is refused here
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        refuse_shared_server(connection)  # the same server behind another address, if it answers at once
        connection.save()
        self.stdout.write(f"{'Added' if created else 'Updated'} connection {connection}.")
        summary = check_connection(connection)
        if connection.last_check_error:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
