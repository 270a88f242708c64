"""A pulling worker SIGKILLed at random points, again and again: after the retries annotate equals the export.

Each round starts `manage.py sync_labelstudio --full` as its own process on the test's PostgreSQL database and kills
it (SIGKILL: no exception, no cleanup) at a random moment: before, during or after the export, between pages or
inside one. Annotators keep working in Label Studio between rounds, editing and deleting annotations.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.exports import exported_tasks
from projects.labelstudio.push import push_batch
from projects.models import Annotation, LabelStudioProject, SyncRun
from tests.actors import SYSTEM
from tests.labelstudio.helpers import assert_mirrors_label_studio_export, choice, label_tasks, make_batch

pytestmark = pytest.mark.labelstudio
ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
PAGE_SIZE = 3


@pytest.fixture
def pull_process(transactional_db, label_studio_server):
    """Starts `sync_labelstudio --full` for a project in a process of its own, on this test's database."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL; CI does): the pulling process shares the test's database")
    settings_dict = connection.settings_dict
    environment = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@{settings_dict['HOST']}:"
            f"{settings_dict['PORT']}/{settings_dict['NAME']}"
        ),
        "LABEL_STUDIO_PULL_PAGE_SIZE": str(PAGE_SIZE),  # many pages, so kills land between and inside them
    }
    started: list[subprocess.Popen] = []

    def start(project_slug: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "sync_labelstudio", "--full", "--project", project_slug, "--no-progress"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _kill_at_random(process: subprocess.Popen, run_ids_before: set[int], project, chance: random.Random) -> str:
    """Wait for a random point of the pull, SIGKILL the process there, and say where it was."""
    pages = chance.randint(0, 12)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        run = SyncRun.objects.filter(label_studio_project=project).exclude(pk__in=run_ids_before).first()
        if pages == 0 or (run is not None and run.export_applied >= pages * PAGE_SIZE):
            break
        time.sleep(0.01)
    time.sleep(chance.uniform(0, 0.3 if pages else 4.0))  # inside a page, or anywhere in start-up and export
    if process.poll() is not None:
        return "finished before the kill"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    run = SyncRun.objects.filter(label_studio_project=project).exclude(pk__in=run_ids_before).first()
    return "before the run began" if run is None else f"after {run.export_applied} tasks of export {run.export_id}"


def _annotators_go_on(client: LabelStudioClient, live: list[int], chance: random.Random) -> None:
    """One annotation edited and, now and then, one deleted, in Label Studio; `live` follows."""
    client.request(
        "PATCH", f"api/annotations/{chance.choice(live)}/", what="edit",
        body={"result": [choice("scenario", chance.choice(["refund", "damaged", "not_received"]))]},
    )  # fmt: skip
    if chance.random() < 0.3:
        doomed = live.pop(chance.randrange(len(live)))
        client.request("DELETE", f"api/annotations/{doomed}/", what="delete")


def test_a_full_pull_killed_twenty_times_still_equals_label_studios_export(vendor_connection, pull_process):
    seed = int(os.environ.get("ANNOTATE_KILL_SEED", random.randrange(1_000_000)))
    chance = random.Random(seed)
    batch = make_batch(vendor_connection, tasks=45, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    project = LabelStudioProject.objects.get(batch=batch)
    live = label_tasks(project, per_task=2)
    client = LabelStudioClient.for_connection(vendor_connection)
    where = []
    for _ in range(KILLS):
        before = set(SyncRun.objects.filter(label_studio_project=project).values_list("pk", flat=True))
        where.append(_kill_at_random(pull_process(batch.project.slug), before, project, chance))
        _annotators_go_on(client, live, chance)

    last = pull_process(batch.project.slug)  # the retry that is let finish
    assert last.wait(timeout=120) == 0, last.stderr.read().decode() if last.stderr else ""
    # It may have resumed a snapshot older than the last edits, and keeps the cursor before that snapshot:
    # the periodic incremental pull brings what changed since.
    call_command("sync_labelstudio", "--project", batch.project.slug, "--no-progress")

    report = f"seed {seed}; killed: {where}"
    mid_pull = [point for point in where if point.startswith("after") and not point.startswith("after 0 ")]
    assert len(mid_pull) >= KILLS // 4, report
    resumed = SyncRun.objects.filter(label_studio_project=project).values("export_id").annotate(runs=Count("pk"))
    assert resumed.filter(runs__gt=1).exists(), f"no pull resumed a snapshot; {report}"
    repeated = Annotation.objects.values("connection", "label_studio_id").annotate(copies=Count("pk"))
    assert not repeated.filter(copies__gt=1).exists(), report
    assert assert_mirrors_label_studio_export(project) == Annotation.objects.filter(is_deleted=False).count(), report
    exported = exported_tasks(client, project.label_studio_id)
    exported_ids = {item["id"] for task in exported for item in task["annotations"]}
    gone = set(Annotation.objects.filter(is_deleted=True).values_list("label_studio_id", flat=True))
    assert not gone & exported_ids, report
    assert Annotation.objects.count() == len(exported_ids | gone), report
    snapshots = client.request("GET", f"api/projects/{project.label_studio_id}/exports/", what="list exports")
    assert [snapshot for snapshot in snapshots if snapshot["title"] == "annotate pull"] == [], report
