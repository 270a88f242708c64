"""One spelling per server address: what tells two Label Studio connections apart, or not.

Pure: no network, no database. Two URLs with the same address reach the same server as far
as their text can say (the server's own identity, read live, covers aliases the text cannot
reveal: DNS names, proxies). Scheme and default port are dropped, since http and https on
one host are one server behind a redirect; every loopback spelling is `localhost`.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK = "localhost"


def server_address(url: str) -> str:
    """The normalised address of a server URL, e.g. `localhost:8080` or `ls.example.com/labelstudio`.

    Host lowercased (trailing dot dropped), loopback and unspecified addresses (127.0.0.0/8,
    ::1, 0.0.0.0, *.localhost) as `localhost`, the scheme's default port dropped, the path
    without repeated or trailing slashes; user, query and fragment ignored.
    """
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"  # as the admin form assumes
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = _host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None  # an unreadable port: the host alone still speaks
    address = host
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        address = f"{address}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path).strip("/")
    return f"{address}/{path}" if path else address


def _host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host == LOOPBACK or host.endswith(".localhost"):
        return LOOPBACK
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return LOOPBACK
    return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
