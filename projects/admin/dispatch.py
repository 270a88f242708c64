"""Admin actions that run a Celery job say how it went: done now (embedded mode) or queued."""

from __future__ import annotations

from collections.abc import Callable

from celery import Task as CeleryTask
from django.contrib import messages
from django.http import HttpRequest

from projects.admin.refusals import refusals_shown
from projects.jobs import run_now_or_queue


def run_or_queue(request: HttpRequest, job: CeleryTask, args: tuple, *, what: str, done: Callable[[dict], str]) -> None:
    """Run or queue `job` (projects.jobs.run_now_or_queue) and tell the person in a message."""
    with refusals_shown(request, what=what):
        run = run_now_or_queue(job, *args, requested_by=request.user)
        if run.queued:
            messages.info(request, f"{what}: queued; a worker runs it shortly.")
        else:
            messages.success(request, f"{what}: {done(run.outcome)}")
