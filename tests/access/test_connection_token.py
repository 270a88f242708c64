"""A Label Studio token goes into the admin and never comes back out: not in the form, history or audit log."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import InvalidToken
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER
from projects.models import LabelStudioConnection
from tests.access.admin_forms import change_form_data
from tests.factories import UserFactory, VendorFactory

STORED = "ls-token-stored-7c1d0e"
REPLACEMENT = "ls-token-new-93af21"


@pytest.fixture
def pm_client(client, db):
    manager = UserFactory(username="pm", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(manager)
    return client


@pytest.fixture
def connection(db):
    connection = LabelStudioConnection(name="acme-ls", url="http://127.0.0.1:9", vendor=VendorFactory())
    connection.set_token(STORED)
    connection.save()
    return connection


def _change_url(connection: LabelStudioConnection) -> str:
    return f"/admin/projects/labelstudioconnection/{connection.pk}/change/"


def _secrets_of(connection: LabelStudioConnection) -> list[str]:
    connection.refresh_from_db()
    return [STORED, REPLACEMENT, connection.encrypted_token, connection.encrypted_token[:24]]


def test_the_change_form_never_renders_the_stored_token(pm_client, connection):
    page = pm_client.get(_change_url(connection))

    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="api_token"' in body
    for secret in _secrets_of(connection):
        assert secret not in body


def test_a_refused_form_does_not_echo_the_typed_token(pm_client, connection):
    data = change_form_data(pm_client.get(_change_url(connection))) | {"url": "not a url", "api_token": REPLACEMENT}

    page = pm_client.post(_change_url(connection), data)

    assert page.status_code == 200  # the form comes back with its error
    assert REPLACEMENT not in page.content.decode()


def test_a_new_token_is_stored_encrypted_and_an_empty_field_keeps_it(pm_client, connection):
    url = _change_url(connection)
    data = change_form_data(pm_client.get(url)) | {"api_token": REPLACEMENT}
    assert pm_client.post(url, data).status_code == 302
    connection.refresh_from_db()
    assert connection.get_token() == REPLACEMENT
    assert REPLACEMENT not in connection.encrypted_token

    data = change_form_data(pm_client.get(url)) | {"name": "acme-ls-renamed", "api_token": ""}
    assert pm_client.post(url, data).status_code == 302
    connection.refresh_from_db()
    assert connection.get_token() == REPLACEMENT


def test_the_token_stays_out_of_history_and_audit_log(pm_client, connection):
    url = _change_url(connection)
    data = change_form_data(pm_client.get(url)) | {"api_token": REPLACEMENT, "region": "eu"}
    assert pm_client.post(url, data).status_code == 302

    history = pm_client.get(f"/admin/projects/labelstudioconnection/{connection.pk}/history/").content.decode()
    entries = " ".join(str(entry.changes) for entry in LogEntry.objects.get_for_object(connection))
    assert "region" in entries
    for secret in _secrets_of(connection):
        assert secret not in history
        assert secret not in entries


def test_with_an_encryption_key_set_stored_tokens_survive_a_new_secret_key_and_need_that_key(db, settings):
    settings.FIELD_ENCRYPTION_KEY = "field-key-for-tests-3b9e"
    connection = LabelStudioConnection(name="keyed-ls", url="http://127.0.0.1:9", vendor=VendorFactory())
    connection.set_token(STORED)
    connection.save()

    settings.SECRET_KEY = "a-rotated-secret-key-for-tests"
    connection.refresh_from_db()
    assert connection.get_token() == STORED

    settings.FIELD_ENCRYPTION_KEY = "some-other-key"
    with pytest.raises(InvalidToken):
        connection.get_token()
