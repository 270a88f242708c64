"""`manage.py connect_labelstudio`: register a server from the command line and check it at once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.models import LabelStudioConnection
from tests.factories import VendorFactory

pytestmark = pytest.mark.labelstudio


def test_a_vendor_server_is_registered_and_checked(db, label_studio_server, monkeypatch, capsys):
    monkeypatch.setenv("LINGUA_LS_TOKEN", label_studio_server.token)
    VendorFactory(slug="lingua-works")
    call_command(
        "connect_labelstudio", "lingua", "--url", label_studio_server.url, "--vendor", "lingua-works",
        "--token-env-var", "LINGUA_LS_TOKEN",
    )  # fmt: skip
    assert "OK: Label Studio 1.23" in capsys.readouterr().out
    connection = LabelStudioConnection.objects.get(name="lingua")
    assert connection.vendor.slug == "lingua-works" and connection.last_check_error == ""


def test_a_community_server_without_a_vendor_or_with_a_bad_token_is_refused(db, label_studio_server, monkeypatch):
    with pytest.raises(CommandError, match="serves exactly one vendor"):
        call_command("connect_labelstudio", "nobody", "--url", label_studio_server.url)
    VendorFactory(slug="huayu")
    monkeypatch.setenv("LABEL_STUDIO_TOKEN", "wrong-token")
    with pytest.raises(CommandError, match="rejected the token"):
        call_command("connect_labelstudio", "huayu", "--url", label_studio_server.url, "--vendor", "huayu")
