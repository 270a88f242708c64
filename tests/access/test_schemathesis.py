"""Property-based run of the API against its own OpenAPI schema: no input makes it answer 5xx.

The schema comes from /api/schema/ through the WSGI app, in process. Every operation is
called as a project manager and as a vendor manager (token auth), with generated valid and
invalid inputs; path ids are drawn half the time from the objects that exist, so detail
views and actions run on real rows, not only on 404s. Push and sync run too: the world's
Label Studio connections are inactive, so they must answer a clear 4xx, never dial out.
"""

from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from annotate.wsgi import application
from tests.access.world import PROJECT_MANAGER_ROLE, VENDOR_MANAGER_ROLE

# A deeper hunt: ACCESS_FUZZ_EXAMPLES=500 (and ACCESS_FUZZ_RANDOM=1 for new seeds each run).
EXAMPLES_PER_OPERATION = int(os.environ.get("ACCESS_FUZZ_EXAMPLES", "25"))
# The world and the database savepoint live for the whole operation, on purpose: examples
# may create projects, and later examples read them.
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=not os.environ.get("ACCESS_FUZZ_RANDOM"),
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
existing_ids: list[int] = []


@schema.hook
def flatmap_path_parameters(context, path_parameters: dict) -> st.SearchStrategy:
    if not path_parameters or "id" not in path_parameters or not existing_ids:
        return st.just(path_parameters)
    existing = st.sampled_from(existing_ids).map(lambda pk: {**path_parameters, "id": pk})
    return st.one_of(st.just(path_parameters), existing)


@pytest.fixture
def in_process_requests(world):
    """Requests served in this thread, inside the test's transaction, on objects that exist."""
    # As Django's test client does: a request's end must not close the connection the test's
    # transaction lives on.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()  # the API's per-user throttle: a deep hunt sends thousands of requests
    existing_ids[:] = sorted(set(world.ids.values()))
    yield
    existing_ids.clear()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _call(case, world, role: str) -> None:
    response = case.call(headers={"Authorization": f"Token {world.tokens[role]}"})
    case.validate_response(response, checks=[not_a_server_error])


@pytest.mark.django_db
@schema.parametrize()
@SETTINGS
def test_api_never_answers_5xx_to_a_project_manager(case, world, in_process_requests):
    _call(case, world, PROJECT_MANAGER_ROLE)


@pytest.mark.django_db
@schema.parametrize()
@SETTINGS
def test_api_never_answers_5xx_to_a_vendor_manager(case, world, in_process_requests):
    _call(case, world, VENDOR_MANAGER_ROLE)
