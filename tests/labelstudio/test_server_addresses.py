"""One spelling per server: the URLs a PM might type for one Label Studio server normalise alike."""

from __future__ import annotations

import pytest

from projects.models.server_addresses import server_address


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "HTTP://LOCALHOST:8080//",
        "http://localhost:8080",
        "localhost:8080",
        "https://127.0.0.1:8080/",
        "http://0.0.0.0:8080",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]:8080",
        "http://127.0.1.1:8080",
        "http://ls.localhost:8080",
        "http://admin:secret@localhost:8080/?next=/projects#top",
        "  http://localhost.:8080  ",
    ],
)
def test_every_loopback_spelling_of_one_port_is_one_address(url):
    assert server_address(url) == "localhost:8080"


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://LS.Example.COM", "ls.example.com"),
        ("https://ls.example.com:443/", "ls.example.com"),
        ("http://ls.example.com:80", "ls.example.com"),
        ("http://ls.example.com", "ls.example.com"),
        ("https://ls.example.com:8443", "ls.example.com:8443"),
        ("http://ls.example.com:443", "ls.example.com:443"),
        ("https://example.com//labelstudio//", "example.com/labelstudio"),
        ("http://10.0.0.5:8080", "10.0.0.5:8080"),
        ("http://[2001:DB8::0001]:8080/", "[2001:db8::1]:8080"),
    ],
)
def test_scheme_default_ports_case_and_slashes_do_not_make_another_server(url, address):
    assert server_address(url) == address


def test_other_ports_hosts_and_paths_are_other_servers():
    addresses = {
        server_address(url)
        for url in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8081",
            "http://ls-a.example.com",
            "http://ls-b.example.com",
            "http://example.com/vendor-a",
            "http://example.com/vendor-b",
        ]
    }
    assert len(addresses) == 6
