"""Shared fixtures. Real parts only: the database is PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

import pytest

from tests.factories import LabelingProjectFactory


@pytest.fixture
def triage_project(db):
    """A project whose tasks carry a buyer message and a bot reply (Text tags)."""
    return LabelingProjectFactory(slug="triage")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Tests create many users; the production hasher's work factor is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
