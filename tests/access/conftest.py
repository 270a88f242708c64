"""The access tests' world, built once per module inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.access.world import World, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    # Each test runs in a savepoint inside this transaction (pytest-django's `db`), so tests
    # cannot change the world for each other, and the module leaves the database as it found it.
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        built = build_world()
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
