"""Two pulls of one project at once, on two real Celery workers over Redis and PostgreSQL: no duplicates."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import push_batch
from projects.models import Annotation, AnnotatorAccount, LabelStudioProject, SyncRun
from tests.actors import SYSTEM
from tests.labelstudio.helpers import SCENARIOS, assert_mirrors_label_studio_export, choice, make_batch

pytestmark = pytest.mark.labelstudio
ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("ANNOTATE_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def two_workers(transactional_db, label_studio_server):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL; CI does)")
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT']}/{settings_dict['NAME']}"
    )
    queue = f"annotate-test-{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        # Small pages: each pull is many short transactions, so the two interleave.
        "LABEL_STUDIO_PULL_PAGE_SIZE": "4",
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "annotate",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "-n",
                f"worker{number}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "WARNING",
            ],
            cwd=ROOT,
            env=environment,
        )
        for number in (1, 2)
    ]
    # Not the current app: the tests after this one must keep the eager app annotate configures.
    sender = Celery("annotate-test", broker=BROKER, backend=BROKER, set_as_current=False)
    yield sender, queue
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=30)


def test_two_full_pulls_at_once_on_two_workers_create_no_duplicates(vendor_connection, two_workers):
    sender, queue = two_workers
    batch = make_batch(vendor_connection, tasks=40, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    accounts = list(AnnotatorAccount.objects.filter(connection=vendor_connection))

    def label(position_and_task):
        position, pushed = position_and_task
        for offset in (0, 1):
            client.create_annotation(
                pushed.label_studio_task_id, result=[choice("scenario", SCENARIOS[(position + offset) % 3])],
                completed_by=accounts[(position + offset) % 3].label_studio_user_id, lead_time=3.0,
            )  # fmt: skip

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(label, enumerate(label_studio_project.tasks.all())))

    results = [
        sender.send_task("projects.jobs.pull_annotations_task", args=[label_studio_project.pk, True], queue=queue)
        for _ in (1, 2)
    ]
    outcomes = [result.get(timeout=180) for result in results]

    assert sorted(outcome["created"] for outcome in outcomes)[1] <= 80
    assert sum(outcome["created"] for outcome in outcomes) == 80
    assert Annotation.objects.filter(task__batch=batch).count() == 80
    assert assert_mirrors_label_studio_export(label_studio_project) == 80
    runs = list(SyncRun.objects.filter(label_studio_project=label_studio_project).order_by("started_at"))
    assert len(runs) == 2 and all(run.error == "" for run in runs)
    assert runs[1].started_at < runs[0].finished_at, "the two pulls did not run at the same time"
