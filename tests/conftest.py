"""Shared fixtures. Real parts only: the database is PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import LabelingProjectFactory


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """The zh-Hans catalogue compiled, as `make messages` does, when a .mo is missing or older than its .po."""
    from django.conf import settings
    from django.core.management import call_command

    for catalogue in Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/django.po"):
        compiled = catalogue.with_suffix(".mo")
        if not compiled.exists() or compiled.stat().st_mtime < catalogue.stat().st_mtime:
            call_command("compilemessages", locale=[catalogue.parents[1].name], verbosity=0)


@pytest.fixture
def triage_project(db):
    """A project whose tasks carry a buyer message and a bot reply (Text tags)."""
    return LabelingProjectFactory(slug="triage")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Tests create many users; the production hasher's work factor is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# -- the local Label Studio server -------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
LABEL_STUDIO_SCRIPT = ROOT / "scripts" / "labelstudio"
TEST_SERVER_NAME = os.environ.get("LABEL_STUDIO_TEST_NAME", "test")
TEST_SERVER_PORT = int(os.environ.get("LABEL_STUDIO_TEST_PORT", "8090"))
TOKEN_ENV_VAR = "ANNOTATE_TEST_LABEL_STUDIO_TOKEN"


@dataclass(frozen=True)
class LabelStudioServer:
    name: str
    url: str
    token: str

    def stop(self) -> None:
        subprocess.run([LABEL_STUDIO_SCRIPT, "stop", self.name], check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run(
            [LABEL_STUDIO_SCRIPT, "start", self.name, str(TEST_SERVER_PORT)], check=True, capture_output=True
        )

    def set_password(self, email: str, password: str) -> None:
        subprocess.run([LABEL_STUDIO_SCRIPT, "password", self.name, email, password], check=True, capture_output=True)


@pytest.fixture(scope="session")
def label_studio_server() -> LabelStudioServer:
    """A real Label Studio 1.23 server for the whole session, started by the project's script."""
    started = subprocess.run(
        [LABEL_STUDIO_SCRIPT, "start", TEST_SERVER_NAME, str(TEST_SERVER_PORT)], capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.fail(f"Label Studio did not start:\n{started.stdout}\n{started.stderr}")
    token = subprocess.run(
        [LABEL_STUDIO_SCRIPT, "token", TEST_SERVER_NAME], capture_output=True, text=True, check=True
    ).stdout.strip()
    os.environ[TOKEN_ENV_VAR] = token
    return LabelStudioServer(name=TEST_SERVER_NAME, url=f"http://127.0.0.1:{TEST_SERVER_PORT}", token=token)


@pytest.fixture
def running_label_studio(label_studio_server):
    """The server, restarted after the test if the test stopped it."""
    yield label_studio_server
    label_studio_server.start()


@pytest.fixture
def fast_retries(settings):
    # Failure tests wait for retries to run out; the backoff shape is not under test.
    settings.LABEL_STUDIO_RETRIES = 2
    settings.LABEL_STUDIO_BACKOFF = 0.05


@pytest.fixture
def vendor_connection(db, label_studio_server):
    """A vendor with three annotators and a Community connection to the test server."""
    from projects.models import LabelStudioConnection
    from tests.factories import AnnotatorFactory, VendorFactory

    vendor = VendorFactory()
    for _ in range(3):
        AnnotatorFactory(vendor=vendor)
    return LabelStudioConnection.objects.create(
        name=f"ls-{vendor.slug}", url=label_studio_server.url, vendor=vendor, token_env_var=TOKEN_ENV_VAR
    )
