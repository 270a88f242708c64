"""A rival vendor's work never reaches another vendor's Community server, however the server is addressed."""

from __future__ import annotations

import contextlib
import html
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.connections import check_connection
from projects.labelstudio.push import label_studio_title, push_batch
from projects.labelstudio.tenancy import TenancyRefused
from projects.models import AnnotatorAccount, LabelStudioConnection, LabelStudioProject
from tests.actors import SYSTEM
from tests.conftest import TOKEN_ENV_VAR
from tests.factories import AnnotatorFactory, VendorFactory
from tests.labelstudio.helpers import make_batch

pytestmark = pytest.mark.labelstudio

PASSWORD = "rival-annotator-pass-1"


@pytest.fixture
def second_address(label_studio_server) -> Iterator[str]:
    """The same server at another address: a TCP forwarder, as a reverse proxy or a DNS alias would be."""
    upstream_port = int(label_studio_server.url.rsplit(":", 1)[1])
    listener = socket.create_server(("127.0.0.1", 0))
    stopped = threading.Event()

    def pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        while not stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", upstream_port))
            threading.Thread(target=pump, args=(client, server), daemon=True).start()
            threading.Thread(target=pump, args=(server, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stopped.set()
    listener.close()


def annotator_session(server_url: str, email: str) -> httpx.Client:
    """An annotator signed in to Label Studio as in the browser: their session cookie, no token."""
    session = httpx.Client(base_url=server_url, timeout=30)
    session.get("/user/login/")
    signed_in = session.post(
        "/user/login/",
        data={"email": email, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    return session


def visible_titles(session: httpx.Client) -> set[str]:
    answer = session.get("/api/projects/", params={"page_size": 10000, "include": "id,title"})
    answer.raise_for_status()
    return {project["title"] for project in answer.json()["results"]}


def test_a_rival_vendors_push_to_the_same_server_at_another_address_is_refused_and_its_annotators_see_nothing(
    vendor_connection, label_studio_server, second_address, capsys
):
    lingua = vendor_connection.vendor
    own_batch = make_batch(vendor_connection, tasks=2)
    push_batch(batch=own_batch, actor=SYSTEM)
    lingua_annotator = AnnotatorAccount.objects.filter(connection=vendor_connection).first()
    label_studio_server.set_password(lingua_annotator.email, PASSWORD)
    session = annotator_session(label_studio_server.url, lingua_annotator.email)
    assert label_studio_title(own_batch) in visible_titles(session)  # a Community user reads what is on the server

    huayu = VendorFactory(name="Huayu Data")
    AnnotatorFactory(vendor=huayu)
    rival = LabelStudioConnection(name="huayu-ls", url=second_address, vendor=huayu, token_env_var=TOKEN_ENV_VAR)
    rival.full_clean()  # its address alone cannot tell; saved as if the server had not answered the admin
    rival.save()
    rival_batch = make_batch(rival, tasks=3)
    admin = LabelStudioClient.for_connection(vendor_connection)
    projects_before = {project["id"] for project in admin.request("GET", "api/projects/", what="list",
                                                                  params={"page_size": 10000})["results"]}  # fmt: skip
    users_before = {user["email"] for user in admin.list_users()}
    seen_before = visible_titles(session)

    with pytest.raises(TenancyRefused) as refused:
        push_batch(batch=rival_batch, actor=SYSTEM)

    message = str(refused.value)
    assert f"for vendor {lingua}" in message and "for vendor Huayu Data" in message
    assert "Nothing was sent" in message
    after = admin.request("GET", "api/projects/", what="list", params={"page_size": 10000})["results"]
    assert {project["id"] for project in after} == projects_before
    assert {user["email"] for user in admin.list_users()} == users_before  # no Huayu annotator got an account
    assert not LabelStudioProject.objects.filter(batch=rival_batch).exists()
    assert not AnnotatorAccount.objects.filter(connection=rival).exists()
    assert visible_titles(session) == seen_before
    assert label_studio_title(rival_batch) not in seen_before

    assert check_connection(rival).startswith("The connection")
    rival.refresh_from_db()
    vendor_connection.refresh_from_db()  # its identity was recorded at its own push
    assert vendor_connection.server_identity.startswith("organization 1 created ")
    assert rival.last_check_error and rival.server_identity == vendor_connection.server_identity
    with pytest.raises(CommandError, match="1 Label Studio server is shared"):
        call_command("check_label_studio_tenancy")
    assert f"one server ({vendor_connection.server_identity})" in capsys.readouterr().out


def test_a_duplicate_connection_saved_before_the_rule_cannot_push(vendor_connection, label_studio_server):
    push_batch(batch=make_batch(vendor_connection, tasks=1), actor=SYSTEM)
    duplicate = LabelStudioConnection.objects.create(
        name="rival-ls", url=label_studio_server.url.replace("127.0.0.1", "localhost") + "/",
        vendor=VendorFactory(name="Rival Labeling Co"), token_env_var=TOKEN_ENV_VAR,
    )  # fmt: skip
    batch = make_batch(duplicate, tasks=2)

    with pytest.raises(TenancyRefused, match=rf"{vendor_connection.name!r} already uses"):
        push_batch(batch=batch, actor=SYSTEM)
    assert not LabelStudioProject.objects.filter(batch=batch).exists()


def test_saving_a_rival_connection_to_the_same_server_at_another_address_is_refused(
    admin_client, vendor_connection, second_address
):
    check_connection(vendor_connection)  # the server said who it is
    huayu = VendorFactory(name="Huayu Data", slug="huayu")
    form = {"name": "huayu-ls", "url": second_address, "edition": "community", "vendor": huayu.pk, "region": "",
            "token_env_var": TOKEN_ENV_VAR, "api_token": "", "is_active": "on"}  # fmt: skip

    page = admin_client.post(reverse("admin:projects_labelstudioconnection_add"), form)

    assert page.status_code == 200
    assert f"{vendor_connection.name!r} already uses the same server" in html.unescape(page.content.decode())
    with pytest.raises(CommandError, match=f"{vendor_connection.name!r} already uses the same server"):
        call_command("connect_labelstudio", "huayu-ls", "--url", second_address, "--vendor", "huayu",
                     "--token-env-var", TOKEN_ENV_VAR)  # fmt: skip
    assert not LabelStudioConnection.objects.filter(name="huayu-ls").exists()


def test_the_vendors_own_second_address_is_saved_with_the_identity_it_read(
    admin_client, vendor_connection, second_address
):
    check_connection(vendor_connection)
    form = {"name": "lingua-ls-proxy", "url": second_address, "edition": "community",
            "vendor": vendor_connection.vendor_id, "region": "", "token_env_var": TOKEN_ENV_VAR, "api_token": "",
            "is_active": "on"}  # fmt: skip

    assert admin_client.post(reverse("admin:projects_labelstudioconnection_add"), form).status_code == 302

    vendor_connection.refresh_from_db()
    saved = LabelStudioConnection.objects.get(name="lingua-ls-proxy")
    assert saved.server_identity == vendor_connection.server_identity != ""
