"""One vendor per Community server, held per server rather than per connection row.

Label Studio Community has no roles: every user of a server can read every project on it.
Two connections reach one server when their URLs normalise to one address
(projects/models/server_addresses.py) or when the server says it is the same one: its
organization (always id 1, "Label Studio", in Community) was created at one instant, which
no other server shares. /api/version does not help: its commit is the checkout the server
was started from. The check runs when a connection is saved (address; identity too when
the server answers at once), when it is checked and at every push (address and identity),
and the report lists what is already shared.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from projects.errors import Refusal
from projects.labelstudio.client import LabelStudioClient, LabelStudioError, LabelStudioNotFound, LabelStudioRejected
from projects.models import Batch, LabelStudioConnection
from projects.models.server_addresses import server_address

logger = logging.getLogger(__name__)


class TenancyRefused(Refusal):
    """The push would put one vendor's work on a server another vendor's users can read."""


def server_identity(client: LabelStudioClient) -> str:
    """What the server says it is, e.g. "organization 1 created 2026-12-04T18:13:14.790230Z"; "" if it will not say."""
    try:
        organization = client.organization()
    except (LabelStudioNotFound, LabelStudioRejected):
        return ""  # an older or locked-down server: its address alone speaks for it
    if not organization.get("created_at"):
        return ""
    return f"organization {organization['id']} created {organization['created_at']}"


def read_server_identity(connection: LabelStudioConnection, client: LabelStudioClient | None = None) -> str:
    """Ask the server who it is and record the answer on the connection."""
    identity = server_identity(client or LabelStudioClient.for_connection(connection))
    if identity != connection.server_identity:
        if connection.server_identity:
            # Reset, restored or re-pointed: the projects recorded on this connection may not be there.
            logger.warning(
                "Label Studio at %s says it is %r; it said %r before", connection.url, identity,
                connection.server_identity,
            )  # fmt: skip
        connection.server_identity = identity
        connection.save(update_fields=["server_identity"])
    return identity


# Saving a connection waits this long at most for its server to say who it is.
SAVE_CHECK_TIMEOUT = 5.0


def refuse_shared_server(connection: LabelStudioConnection, *, token: str = "") -> str:
    """Before a connection is saved: ask its server who it is, once and quickly, and refuse a shared one.

    Returns the identity read, recorded on the (unsaved) connection, or "" when the server
    cannot be asked now (no token yet, down, slow): the check at push asks again.
    """
    token = token or connection.get_token()
    if not token or not connection.url:
        return ""
    client = LabelStudioClient(url=connection.url, token=token, timeout=SAVE_CHECK_TIMEOUT, retries=0)
    try:
        identity = server_identity(client)
    except LabelStudioError:
        return ""
    connection.server_identity = identity
    connection.server_address = server_address(connection.url)  # the identity belongs to this address
    rivals = connection.rivals_on_server()
    if rivals:
        raise TenancyRefused(connection.tenancy_message(rivals[0]))
    return identity


def check_tenancy(
    connection: LabelStudioConnection, batch: Batch | None = None, *, client: LabelStudioClient | None = None
) -> None:
    """Refuse to put work on a server another vendor's users can read: before anything is sent.

    The batch's vendor must be the one the connection serves (Community), and no other
    connection of another vendor may reach the same server, by address or by the server's
    own identity (read live: one request).
    """
    community = connection.edition == LabelStudioConnection.Edition.COMMUNITY
    if batch is not None and community and connection.vendor_id != batch.vendor_id:
        raise TenancyRefused(
            f"Label Studio at {connection.url} is a Community server serving {connection.vendor}; batch "
            f"{batch} belongs to {batch.vendor}. Community has no roles, so {connection.vendor}'s annotators "
            "could read it. Push it to a server of its own vendor, or to an Enterprise server."
        )
    read_server_identity(connection, client)
    rivals = connection.rivals_on_server()
    if rivals:
        raise TenancyRefused(f"Nothing was sent to Label Studio. {connection.tenancy_message(rivals[0])}")


@dataclass(frozen=True)
class SharedServer:
    """One server reached by connections that must not share it."""

    found_by: str  # "address" or "identity"
    server: str
    connections: list[LabelStudioConnection]

    def describe(self) -> str:
        rows = "; ".join(
            f"{connection.name} ({connection.serves}, {connection.get_edition_display()}, {connection.url})"
            for connection in self.connections
        )
        how = f"the address {self.server}" if self.found_by == "address" else f"one server ({self.server})"
        return (
            f"Connections of different vendors reach {how}: {rows}. Every user on a Community server can read "
            "every project on it; pushes to it are refused until each vendor has a server of its own."
        )


@dataclass
class TenancyReport:
    shared: list[SharedServer] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # servers that could not be asked who they are


def find_shared_servers(*, online: bool) -> TenancyReport:
    """Servers that connections of different vendors share, by address and, with what is known, by identity.

    Online, each active connection's server is asked who it is first (its identity is recorded);
    offline, the identities recorded at the last check or push are used.
    """
    report = TenancyReport()
    connections = list(LabelStudioConnection.objects.select_related("vendor").order_by("name"))
    if online:
        for connection in connections:
            if not connection.is_active:
                continue  # never dialled; its recorded identity still counts
            try:
                read_server_identity(connection)
            except LabelStudioError as error:
                report.unreadable.append(f"{connection.name}: {error}")
    by_address: dict[str, list[LabelStudioConnection]] = defaultdict(list)
    by_identity: dict[str, list[LabelStudioConnection]] = defaultdict(list)
    for connection in connections:
        by_address[connection.server_address].append(connection)
        if connection.server_identity:
            by_identity[connection.server_identity].append(connection)
    reported: list[set[int]] = []
    for found_by, groups in (("address", by_address), ("identity", by_identity)):
        for server, group in groups.items():
            members = {connection.pk for connection in group}
            if not _conflicting(group) or any(members <= seen for seen in reported):
                continue
            reported.append(members)
            report.shared.append(SharedServer(found_by=found_by, server=server, connections=group))
    return report


def _conflicting(group: list[LabelStudioConnection]) -> bool:
    return any(first.conflicts_with(second) for index, first in enumerate(group) for second in group[index + 1 :])
