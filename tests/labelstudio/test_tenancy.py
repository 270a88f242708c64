"""One vendor per Community server, whatever the spelling of its URL: refused at save, reported when already there."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from projects.models import LabelStudioConnection
from tests.factories import VendorFactory


@pytest.fixture
def lingua_server(db):
    """Vendor Lingua Works's Community server."""
    return LabelStudioConnection.objects.create(
        name="lingua-ls", url="http://127.0.0.1:8080", vendor=VendorFactory(name="Lingua Works")
    )


def test_another_vendors_connection_to_the_same_server_is_refused_naming_the_first(lingua_server):
    rival = LabelStudioConnection(name="huayu-ls", url="http://localhost:8080/", vendor=VendorFactory(name="Huayu"))

    with pytest.raises(ValidationError) as refused:
        rival.full_clean()

    message = " ".join(refused.value.message_dict["url"])
    assert "'lingua-ls'" in message and "vendor Lingua Works" in message and "vendor Huayu" in message


def test_one_vendor_may_reach_its_server_twice_and_other_servers_are_free(lingua_server):
    LabelStudioConnection(name="lingua-ls-2", url="http://LOCALHOST:8080", vendor=lingua_server.vendor).full_clean()
    LabelStudioConnection(name="huayu-ls", url="http://127.0.0.1:8081", vendor=VendorFactory()).full_clean()


def test_an_inactive_connection_still_holds_its_server(lingua_server):
    # Its vendor's annotators keep their accounts on the server, and can read whatever lands there.
    LabelStudioConnection.objects.filter(pk=lingua_server.pk).update(is_active=False)
    rival = LabelStudioConnection(name="huayu-ls", url="http://127.0.0.1:8080", vendor=VendorFactory())

    with pytest.raises(ValidationError, match="lingua-ls"):
        rival.full_clean()


def test_an_enterprise_connection_cannot_serve_any_vendor_from_a_community_server(lingua_server):
    enterprise = LabelStudioConnection(name="shared", url="http://127.0.0.1:8080", edition="enterprise")

    with pytest.raises(ValidationError, match="lingua-ls"):
        enterprise.full_clean()


def test_two_enterprise_connections_may_share_a_server(db):
    LabelStudioConnection.objects.create(name="eu", url="https://ls.example.com", edition="enterprise", region="eu")
    LabelStudioConnection(name="cn", url="https://ls.example.com/", edition="enterprise", region="cn").full_clean()


def test_the_admin_refuses_the_rival_connection_and_saves_nothing(admin_client, lingua_server):
    rival_vendor = VendorFactory(name="Huayu")
    page = admin_client.post(
        reverse("admin:projects_labelstudioconnection_add"),
        {"name": "huayu-ls", "url": "http://localhost:8080", "edition": "community", "vendor": rival_vendor.pk,
         "region": "", "token_env_var": "HUAYU_TOKEN", "api_token": "", "is_active": "on"},
    )  # fmt: skip

    assert page.status_code == 200
    assert "already uses Label Studio at localhost:8080 for vendor Lingua Works" in page.content.decode()
    assert not LabelStudioConnection.objects.filter(name="huayu-ls").exists()


def test_changing_a_url_to_another_vendors_server_is_refused_too(lingua_server):
    huayu = LabelStudioConnection.objects.create(name="huayu-ls", url="http://127.0.0.1:8081", vendor=VendorFactory())
    huayu.url = "http://0.0.0.0:8080"

    with pytest.raises(ValidationError, match="lingua-ls"):
        huayu.full_clean()


def test_connect_command_refuses_another_vendors_server_before_saving(lingua_server):
    VendorFactory(slug="huayu")

    with pytest.raises(CommandError, match="'lingua-ls' already uses Label Studio at localhost:8080"):
        call_command("connect_labelstudio", "huayu-ls", "--url", "http://localhost:8080/", "--vendor", "huayu")
    assert not LabelStudioConnection.objects.filter(name="huayu-ls").exists()


@pytest.fixture
def duplicate(lingua_server):
    """A rival's connection to Lingua Works's server saved before the rule held (no clean)."""
    return LabelStudioConnection.objects.create(
        name="huayu-ls", url="http://localhost:8080/", vendor=VendorFactory(name="Huayu")
    )


def test_existing_duplicates_are_reported_by_the_command_and_it_fails(duplicate, capsys):
    with pytest.raises(CommandError, match="1 Label Studio server is shared"):
        call_command("check_label_studio_tenancy", "--offline")

    out = capsys.readouterr().out
    assert "the address localhost:8080" in out
    assert "huayu-ls (vendor Huayu" in out and "lingua-ls (vendor Lingua Works" in out


def test_one_server_behind_two_addresses_is_reported_by_its_identity(lingua_server, capsys):
    identity = "organization 1 created 2026-12-04T18:13:14.790230Z"
    LabelStudioConnection.objects.filter(pk=lingua_server.pk).update(server_identity=identity)
    rival = LabelStudioConnection.objects.create(name="huayu-ls", url="http://ls.huayu.example", vendor=VendorFactory())
    LabelStudioConnection.objects.filter(pk=rival.pk).update(server_identity=identity)

    with pytest.raises(CommandError):
        call_command("check_label_studio_tenancy", "--offline")

    assert f"one server ({identity})" in capsys.readouterr().out


def test_no_shared_server_reports_clean(lingua_server, capsys):
    LabelStudioConnection.objects.create(name="huayu-ls", url="http://127.0.0.1:8081", vendor=VendorFactory())

    call_command("check_label_studio_tenancy", "--offline")

    assert "No Label Studio server is shared by two vendors." in capsys.readouterr().out


def test_the_connection_list_warns_of_a_shared_server(admin_client, duplicate):
    page = admin_client.get(reverse("admin:projects_labelstudioconnection_changelist")).content.decode()

    assert "Connections of different vendors reach the address localhost:8080" in page
    assert "pushes to it are refused" in page


def test_changing_the_url_forgets_the_identity_read_from_the_old_one(lingua_server):
    lingua_server.server_identity = "organization 1 created 2026-01-01T00:00:00Z"
    lingua_server.save()
    lingua_server.url = "http://127.0.0.1:8082"
    lingua_server.save()

    lingua_server.refresh_from_db()
    assert (lingua_server.server_address, lingua_server.server_identity) == ("localhost:8082", "")
