"""The admin renders a refusal once: as an error message on the page the person is on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.http import HttpRequest

from projects.errors import Refusal


@contextmanager
def refusals_shown(request: HttpRequest, *, what: str | None = None) -> Iterator[None]:
    """Run the block; a `Refusal` raised in it becomes an error message (prefixed by `what`), not a 500."""
    try:
        yield
    except Refusal as refusal:
        messages.error(request, f"{what}: {refusal}" if what else str(refusal))
