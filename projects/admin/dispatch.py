"""Admin actions run a Celery task: in-process in the embedded mode, on a worker otherwise."""

from __future__ import annotations

from collections.abc import Callable

from celery import Task as CeleryTask
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest

from projects.labelstudio.client import LabelStudioError


def run_or_queue(
    request: HttpRequest,
    task: CeleryTask,
    args: tuple,
    *,
    what: str,
    done: Callable[[dict], str],
    expected_errors: tuple[type[Exception], ...] = (),
) -> None:
    """Run `task` now when Celery is eager and say how it went; else queue it and say so."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        task.delay(*args)
        messages.info(request, f"{what}: queued; a worker runs it shortly.")
        return
    try:
        outcome = task.run(*args)
    except (LabelStudioError, *expected_errors) as error:
        messages.error(request, f"{what}: {error}")
        return
    messages.success(request, f"{what}: {done(outcome)}")
