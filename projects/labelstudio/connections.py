"""Which Label Studio server serves which vendor, and whether it answers."""

from __future__ import annotations

from django.utils import timezone

from projects.labelstudio.client import LabelStudioClient, LabelStudioError
from projects.labelstudio.tenancy import TenancyRefused, read_server_identity
from projects.models import Batch, LabelStudioConnection


def connection_for_batch(batch: Batch) -> LabelStudioConnection:
    """The server a batch goes to: its vendor's own Community server, or an Enterprise one.

    Label Studio Community has no roles: every user of a server can read and export
    every project on it. So a Community server serves exactly one vendor.
    """
    if batch.vendor_id is None:
        raise TenancyRefused(f"Batch {batch} has no vendor; assign one before pushing.")
    connections = LabelStudioConnection.objects.filter(is_active=True)
    own = connections.filter(vendor=batch.vendor).order_by("pk").first()
    if own:
        return own
    enterprise = connections.filter(edition=LabelStudioConnection.Edition.ENTERPRISE, vendor__isnull=True)
    if enterprise.exists():
        return enterprise.order_by("pk").first()
    raise TenancyRefused(
        f"No Label Studio server serves vendor {batch.vendor}. Add a Label Studio connection for it "
        "(a Community server serves one vendor only)."
    )


def check_connection(connection: LabelStudioConnection) -> str:
    """Ask the server who we are and who it is; record and return a one-line verdict.

    A server that another vendor's connection reaches too fails the check (pushes to it are refused).
    """
    try:
        client = LabelStudioClient.for_connection(connection)
        version = client.version()
        user = client.whoami()
        read_server_identity(connection, client)
        rivals = connection.rivals_on_server()
        if rivals:
            verdict = summary = connection.tenancy_message(rivals[0])
        else:
            verdict = ""
            summary = (
                f"OK: Label Studio {version.get('release', '?')} at {connection.url}, token of {user.get('email')}"
            )
    except LabelStudioError as error:
        verdict = summary = str(error)
    connection.last_checked_at = timezone.now()
    connection.last_check_error = verdict
    connection.save(update_fields=["last_checked_at", "last_check_error"])
    return summary
