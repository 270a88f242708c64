"""Fixtures the quality tests share: a QA reviewer and a batch labeled by the simulated workforce."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from projects.access.roles import QA_REVIEWER
from tests.factories import UserFactory
from tests.quality.simulated_workforce import simulate_batch


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="quinn")
    user.groups.add(Group.objects.get(name=QA_REVIEWER))
    return user


@pytest.fixture
def simulated():
    return simulate_batch(seed=11)
