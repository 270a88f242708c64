"""Benchmark: annotate's push and pull against Label Studio's own bulk import and JSON export.

Three figures, on a local Label Studio 1.23 server of its own (`bench`, port 8095, reset
at every run) and the PostgreSQL database annotate_bench (created if missing, migrated,
flushed at every run):

1. push_batch of N tasks vs the raw SDK bulk import of the same tasks (same chunks,
   max_retries=0) into another project; and the push's peak RSS (the kernel's
   high-water mark of this process, reset just before the push).
2. pull_annotations(full=True) of N annotations vs Label Studio's own JSON export of
   the same project (export snapshot: create, then download; timed before and after the
   pull, the mean taken), the paged task listing
   of it for comparison, and the pull's peak RSS (reset just before the pull; the RSS
   before it is printed too, so the pull's own share shows).
3. pull_annotations incremental after 1% of the annotations changed through the API,
   as a share of the full pull.

Usage: make bench-labelstudio, or .venv/bin/python bench/labelstudio.py [--tasks N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from common import (
    CONFIG,
    EN,
    ROOT,
    SCENARIOS,
    ZH,
    bench_actor,
    flush_database,
    peak_rss_mb,
    prepare_database,
    print_table,
    reset_peak_rss,
    say,
    use_database,
    verdict,
)

SCRIPT = ROOT / "scripts" / "labelstudio"
SERVER_NAME = "bench"
SERVER_PORT = 8095
SERVER_URL = f"http://127.0.0.1:{SERVER_PORT}"
DATABASE_NAME = "annotate_bench"
TOKEN_ENV_VAR = "ANNOTATE_BENCH_LABEL_STUDIO_TOKEN"
use_database(DATABASE_NAME)
os.environ["ANNOTATE_WEBHOOK_BASE_URL"] = ""  # nothing listens for webhooks here: pull only
GOALS = {"push_ratio": 1.15, "push_rss_mb": 400, "pull_ratio": 1.2, "pull_rss_mb": 300, "incremental_share": 0.05}


# -- the server --------------------------------------------------------------------------------------


def start_label_studio() -> str:
    """A fresh bench server; returns its admin token."""
    subprocess.run([SCRIPT, "reset", SERVER_NAME], check=True, capture_output=True)
    started = subprocess.run([SCRIPT, "start", SERVER_NAME, str(SERVER_PORT)], capture_output=True, text=True)
    if started.returncode != 0:
        sys.exit(f"Label Studio did not start:\n{started.stdout}\n{started.stderr}")
    return subprocess.run([SCRIPT, "token", SERVER_NAME], capture_output=True, text=True, check=True).stdout.strip()


def stop_label_studio() -> None:
    subprocess.run([SCRIPT, "stop", SERVER_NAME], check=False, capture_output=True)


# -- the tasks ---------------------------------------------------------------------------------------


def choice(value: str) -> dict:
    return {"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [value]}}


def task_content(number: int) -> tuple[dict, list[dict]]:
    """What one task shows and its prediction (every other task), the same on both sides of a comparison."""
    opening = (EN if number % 2 else ZH)[number % 3]
    data = {
        "message": f"{opening} SO-2026-{number:08d}",
        "reply": "Sorry for the trouble, we are checking with the courier." if number % 2 else "亲，马上为您查询。",
    }
    predictions = []
    if number % 2 == 0:
        predictions = [{"model_version": "triage-v3", "score": 0.7, "result": [choice(SCENARIOS[number % 3])]}]
    return data, predictions


def create_tasks(project, batch, count: int) -> None:
    from projects.models import Task

    chunk = 5000
    for start in range(0, count, chunk):
        tasks = []
        for number in range(start, min(count, start + chunk)):
            data, predictions = task_content(number)
            tasks.append(
                Task(
                    project=project,
                    batch=batch,
                    external_id=f"{batch.name}-{number:07d}",
                    data=data,
                    predictions=predictions,
                    language=Task.Language.ENGLISH if number % 2 else Task.Language.CHINESE,
                )
            )
        Task.objects.bulk_create(tasks)


def create_fixtures(task_count: int):
    from django.contrib.auth import get_user_model

    from projects.models import Annotator, Batch, LabelingProject, LabelStudioConnection, Vendor

    vendor = Vendor.objects.create(name="Bench vendor", slug="bench-vendor", languages=["en", "zh"])
    for number in range(1, 4):
        user = get_user_model().objects.create_user(
            username=f"bench-annotator-{number}", email=f"bench-annotator-{number}@example.com", password=None
        )
        Annotator.objects.create(user=user, vendor=vendor, languages=["en", "zh"])
    connection = LabelStudioConnection.objects.create(
        name="bench", url=SERVER_URL, vendor=vendor, token_env_var=TOKEN_ENV_VAR
    )
    project = LabelingProject.objects.create(
        slug="bench-triage", name="Bench triage", label_config=CONFIG, overlap=1, status=LabelingProject.Status.ACTIVE
    )
    push_target = Batch.objects.create(project=project, name="push", vendor=vendor, target_count=task_count)
    pull_target = Batch.objects.create(project=project, name="pull", vendor=vendor, target_count=task_count)
    create_tasks(project, push_target, task_count)
    create_tasks(project, pull_target, task_count)
    return connection, push_target, pull_target


def progress_printer(label: str, every: int):
    """A progress callback that prints a line each time `every` more items are done."""
    marks = {"next": every}

    def progress(done: int, total: int | None) -> None:
        if done >= marks["next"]:
            marks["next"] = done + every
            say(f"  {label}: {done:,}" + (f" / {total:,}" if total else ""))

    return progress


# -- 1. push -----------------------------------------------------------------------------------------


def sdk_import(token: str, task_count: int, chunk: int) -> float:
    """The raw SDK bulk import of the same tasks into a new project; seconds spent in Label Studio calls."""
    from label_studio_sdk import LabelStudio

    sdk = LabelStudio(base_url=SERVER_URL, api_key=token, timeout=600, max_retries=0)
    elapsed = 0.0
    started = time.perf_counter()
    project = sdk.projects.create(title="bench raw SDK import", label_config=CONFIG, maximum_annotations=1)
    elapsed += time.perf_counter() - started
    for start in range(0, task_count, chunk):
        payload = []
        for number in range(start, min(task_count, start + chunk)):
            data, predictions = task_content(number)
            item = {"data": data, "meta": {"annotate_task_id": number, "external_id": f"push-{number:07d}"}}
            if predictions:
                item["predictions"] = predictions
            payload.append(item)
        started = time.perf_counter()
        sdk.projects.import_tasks(
            id=project.id,
            request=payload,
            commit_to_project=True,
            return_task_ids=True,
            request_options={"max_retries": 0, "timeout_in_seconds": 600},
        )
        elapsed += time.perf_counter() - started
        if (start // chunk) % 10 == 9:
            say(f"  raw SDK import: {start + len(payload):,} / {task_count:,}")
    return elapsed


def bench_push(token: str, batch, task_count: int) -> dict:
    from django.conf import settings

    from projects.labelstudio.push import push_batch

    chunk = settings.LABEL_STUDIO_PUSH_CHUNK
    say(f"phase 1a: raw SDK import of {task_count:,} tasks in chunks of {chunk:,}")
    sdk_seconds = sdk_import(token, task_count, chunk)
    say(f"  raw SDK import: {sdk_seconds:.1f} s")

    say(f"phase 1b: annotate push_batch of {task_count:,} tasks")
    exact = reset_peak_rss()
    before_mb = peak_rss_mb()
    started = time.perf_counter()
    result = push_batch(
        batch=batch, actor=bench_actor("labelstudio"), progress=progress_printer("push", max(chunk, task_count // 10))
    )
    seconds = time.perf_counter() - started
    rss_mb = peak_rss_mb()
    if result.pushed != task_count:
        sys.exit(f"push sent {result.pushed} tasks, expected {task_count}")
    how = "VmHWM after reset" if exact else "ru_maxrss (whole process)"
    say(f"  push: {seconds:.1f} s, peak RSS {rss_mb:.0f} MB ({how}; {before_mb:.0f} MB before)")
    return {"sdk": sdk_seconds, "annotate": seconds, "rss": rss_mb, "rss_how": how}


# -- 2. full pull ------------------------------------------------------------------------------------


def seed_annotated_project(batch, connection):
    """A Label Studio project holding the batch's tasks, each with one annotation, linked in annotate.

    Annotations come in with the tasks (one import per chunk), as an annotator's,
    not ground truth; 1% of them are skips.
    """
    from django.conf import settings

    from projects.labeling.services import current_config_version
    from projects.labelstudio.client import LabelStudioClient
    from projects.labelstudio.push import label_studio_title
    from projects.models import AnnotatorAccount, LabelStudioProject, PushedTask, Task

    client = LabelStudioClient.for_connection(connection)
    user_ids = list(
        AnnotatorAccount.objects.filter(connection=connection)
        .order_by("pk")
        .values_list("label_studio_user_id", flat=True)
    )
    project = batch.project
    label_studio_id = client.create_project(
        title=label_studio_title(batch),
        description=f"Bench pull project (annotate batch {batch.uid}).",
        label_config=project.label_config,
        instructions="",
        overlap=1,
    )["id"]
    label_studio_project = LabelStudioProject.objects.create(
        batch=batch,
        connection=connection,
        label_studio_id=label_studio_id,
        config_version=current_config_version(project),
    )
    chunk = settings.LABEL_STUDIO_PUSH_CHUNK
    tasks = Task.objects.filter(batch=batch).order_by("pk").values_list("pk", "external_id", "data", "predictions")
    number = 0
    pending: list[tuple] = []
    for row in tasks.iterator(chunk_size=chunk):
        pending.append(row)
        if len(pending) == chunk:
            number = _import_annotated(client, label_studio_project, pending, user_ids, number)
            pending = []
    if pending:
        _import_annotated(client, label_studio_project, pending, user_ids, number)
    Task.objects.filter(batch=batch).update(status=Task.Status.PUSHED)
    label_studio_project.pushed_task_count = PushedTask.objects.filter(
        label_studio_project=label_studio_project
    ).count()
    label_studio_project.save(update_fields=["pushed_task_count"])
    return label_studio_project


def _import_annotated(client, label_studio_project, rows: list[tuple], user_ids: list[int], number: int) -> int:
    from projects.models import PushedTask

    payload = []
    for pk, external_id, data, predictions in rows:
        skipped = number % 100 == 99
        annotation = {
            "result": [] if skipped else [choice(SCENARIOS[(number + 1) % 3])],
            "was_cancelled": skipped,
            "ground_truth": False,
            "completed_by": user_ids[number % len(user_ids)],
            "lead_time": 4.0 + number % 17,
        }
        item = {"data": data, "meta": {"annotate_task_id": pk, "external_id": external_id}, "annotations": [annotation]}
        if predictions:
            item["predictions"] = predictions
        payload.append(item)
        number += 1
    task_ids = client.import_tasks(label_studio_project.label_studio_id, payload)
    PushedTask.objects.bulk_create(
        PushedTask(label_studio_project=label_studio_project, task_id=row[0], label_studio_task_id=task_id)
        for row, task_id in zip(rows, task_ids, strict=True)
    )
    if number % (10 * len(rows)) == 0:
        say(f"  seeded {number:,} annotated tasks")
    return number


def settle_seeding_burst(label_studio_project) -> None:
    """Move the newest change on the project past the seeding burst, as the trickle of real work would.

    A pull's cursor is the newest task update it saw, and an incremental pull re-reads
    the LABEL_STUDIO_PULL_OVERLAP_SECONDS before it. The seed imports thousands of
    annotated tasks a second, a burst no team of annotators makes, so without this the
    incremental pull would re-read the seed's last seconds of tasks as well as the change.
    """
    from django.conf import settings

    from projects.labelstudio.client import LabelStudioClient
    from projects.models import PushedTask

    time.sleep(settings.LABEL_STUDIO_PULL_OVERLAP_SECONDS + 1)
    client = LabelStudioClient.for_connection(label_studio_project.connection)
    last = (
        PushedTask.objects.filter(label_studio_project=label_studio_project).order_by("-label_studio_task_id").first()
    )
    task = client.request("GET", f"api/tasks/{last.label_studio_task_id}/", what="read the last seeded task")
    annotation_id = task["annotations"][0]["id"]
    client.request(
        "PATCH", f"api/annotations/{annotation_id}/", what="edit one annotation", body={"lead_time": 99.0},
        idempotent=True,
    )  # fmt: skip


def label_studio_export(token: str, project_id: int) -> tuple[float, int]:
    """Label Studio's own full JSON dump: create an export snapshot, download it; seconds and bytes."""
    import httpx

    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=SERVER_URL, headers=headers, timeout=1800) as http:
        started = time.perf_counter()
        snapshot = http.post(f"/api/projects/{project_id}/exports/", json={"title": "bench full export"})
        snapshot.raise_for_status()
        snapshot_id = snapshot.json()["id"]
        status = snapshot.json().get("status")
        while status not in ("completed", "failed"):  # only when Label Studio runs exports in a queue
            time.sleep(0.5)
            status = http.get(f"/api/projects/{project_id}/exports/{snapshot_id}").json().get("status")
        if status != "completed":
            sys.exit(f"Label Studio export snapshot {snapshot_id} failed")
        download = http.get(f"/api/projects/{project_id}/exports/{snapshot_id}/download", params={"exportType": "JSON"})
        download.raise_for_status()
        seconds = time.perf_counter() - started
        http.delete(f"/api/projects/{project_id}/exports/{snapshot_id}")  # as annotate's pull does, untimed
        return seconds, len(download.content)


def label_studio_listing(label_studio_project, task_count: int) -> float:
    """Every task of the project through the paged task list, with the fields a pull reads; seconds."""
    from django.conf import settings

    from projects.labelstudio.client import LabelStudioClient
    from projects.labelstudio.pull import PULLED_FIELDS

    client = LabelStudioClient.for_connection(label_studio_project.connection)
    started = time.perf_counter()
    listed = sum(
        1
        for _ in client.iter_tasks(
            label_studio_project.label_studio_id, include=PULLED_FIELDS, page_size=settings.LABEL_STUDIO_PULL_PAGE_SIZE
        )
    )
    if listed != task_count:
        sys.exit(f"the paged listing gave {listed} tasks, expected {task_count}")
    return time.perf_counter() - started


def bench_full_pull(token: str, batch, connection, task_count: int) -> tuple[dict, object]:
    from projects.labelstudio.pull import pull_annotations

    say(f"phase 2a: seeding {task_count:,} tasks with one annotation each (imported with the tasks)")
    started = time.perf_counter()
    label_studio_project = seed_annotated_project(batch, connection)
    say(f"  seeded in {time.perf_counter() - started:.1f} s")
    settle_seeding_burst(label_studio_project)

    say("phase 2b: Label Studio's own JSON export (snapshot) of the project")
    export_seconds, size = label_studio_export(token, label_studio_project.label_studio_id)
    say(f"  export: {export_seconds:.1f} s, {size / 1e6:.0f} MB")

    say("phase 2c: Label Studio's paged task listing of the same project (the fields a pull reads)")
    listing_seconds = label_studio_listing(label_studio_project, task_count)
    say(f"  paged listing: {listing_seconds:.1f} s")

    say(f"phase 2d: annotate full pull of {task_count:,} annotations")
    exact = reset_peak_rss()
    before_mb = peak_rss_mb()
    started = time.perf_counter()
    run = pull_annotations(
        label_studio_project=label_studio_project,
        actor=bench_actor("labelstudio"),
        full=True,
        progress=progress_printer("pull", task_count // 10),
    )
    seconds = time.perf_counter() - started
    rss_mb = peak_rss_mb()  # before the second export below, which holds its download in memory
    if run.created != task_count:
        sys.exit(f"full pull created {run.created} annotations, expected {task_count}")
    # Label Studio's export time drifts with the machine's load: timed again after the pull, the mean is the reference.
    export_after, _ = label_studio_export(token, label_studio_project.label_studio_id)
    say(f"  export again after the pull: {export_after:.1f} s")
    export_seconds = (export_seconds + export_after) / 2
    how = "VmHWM after reset" if exact else "ru_maxrss (whole process)"
    say(f"  full pull: {seconds:.1f} s, {run.created:,} created")
    say(f"  full pull peak RSS {rss_mb:.0f} MB ({how}; {before_mb:.0f} MB before)")
    figures = {"export": export_seconds, "listing": listing_seconds, "annotate": seconds, "export_mb": size / 1e6}
    return figures | {"rss": rss_mb, "rss_before": before_mb, "rss_how": how}, label_studio_project


# -- 3. incremental pull -----------------------------------------------------------------------------


def change_annotations(label_studio_project, share: float) -> int:
    """Edit `share` of the project's annotations through the API, as a PM would in the UI."""
    from projects.labelstudio.client import LabelStudioClient
    from projects.models import Annotation

    client = LabelStudioClient.for_connection(label_studio_project.connection)
    ids = list(
        Annotation.objects.filter(connection=label_studio_project.connection, task__batch=label_studio_project.batch)
        .order_by("label_studio_id")
        .values_list("label_studio_id", flat=True)
    )
    step = round(1 / share)
    chosen = ids[::step]

    def edit(label_studio_id: int) -> None:
        client.request(
            "PATCH",
            f"api/annotations/{label_studio_id}/",
            what=f"edit annotation {label_studio_id}",
            body={"result": [choice("damaged")], "was_cancelled": False},
            idempotent=True,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(edit, chosen))
    return len(chosen)


def bench_incremental_pull(label_studio_project) -> dict:
    from projects.labelstudio.pull import pull_annotations
    from projects.models import SyncRun

    say("phase 3a: changing 1% of the annotations through the API")
    started = time.perf_counter()
    changed = change_annotations(label_studio_project, 0.01)
    say(f"  changed {changed:,} annotations in {time.perf_counter() - started:.1f} s")

    say("phase 3b: annotate incremental pull")
    started = time.perf_counter()
    run = pull_annotations(label_studio_project=label_studio_project, actor=bench_actor("labelstudio"))
    seconds = time.perf_counter() - started
    if run.kind != SyncRun.Kind.INCREMENTAL or run.updated < changed:
        sys.exit(f"incremental pull: kind {run.kind}, {run.updated} updated, expected {changed}")
    say(f"  incremental pull: {seconds:.2f} s, {run.tasks_seen:,} tasks read, {run.updated:,} updated")
    return {"annotate": seconds, "changed": changed}


# -- report ------------------------------------------------------------------------------------------


def report(task_count: int, push: dict, pull: dict, incremental: dict) -> None:
    push_ratio = push["annotate"] / push["sdk"]
    pull_ratio = pull["annotate"] / pull["export"]
    share = incremental["annotate"] / pull["annotate"]

    rows = [
        (f"push {task_count:,} tasks: annotate push_batch", f"{push['annotate']:.1f} s", "", ""),
        ("push: raw SDK import_tasks (same chunks)", f"{push['sdk']:.1f} s", "", ""),
        ("push ratio annotate / SDK", f"{push_ratio:.2f}x", f"<= {GOALS['push_ratio']}x",
         verdict(push_ratio <= GOALS["push_ratio"])),
        (f"push peak RSS ({push['rss_how']})", f"{push['rss']:.0f} MB", f"< {GOALS['push_rss_mb']} MB",
         verdict(push["rss"] < GOALS["push_rss_mb"])),
        (f"full pull {task_count:,} annotations: annotate", f"{pull['annotate']:.1f} s", "", ""),
        (f"full pull: LS JSON export snapshot ({pull['export_mb']:.0f} MB, mean of 2)", f"{pull['export']:.1f} s", "",
         ""),
        ("full pull: LS paged task listing (for comparison)", f"{pull['listing']:.1f} s", "", ""),
        ("full pull ratio annotate / LS export", f"{pull_ratio:.2f}x", f"<= {GOALS['pull_ratio']}x",
         verdict(pull_ratio <= GOALS["pull_ratio"])),
        (f"full pull peak RSS ({pull['rss_how']})", f"{pull['rss']:.0f} MB", f"< {GOALS['pull_rss_mb']} MB",
         verdict(pull["rss"] < GOALS["pull_rss_mb"])),
        ("full pull's own RSS (peak - RSS before it)", f"{pull['rss'] - pull['rss_before']:.0f} MB", "", ""),
        (f"incremental pull after {incremental['changed']:,} changes", f"{incremental['annotate']:.2f} s", "", ""),
        ("incremental pull / full pull", f"{share:.1%}", f"<= {GOALS['incremental_share']:.0%}",
         verdict(share <= GOALS["incremental_share"])),
    ]  # fmt: skip
    print_table(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    arguments = parser.parse_args()
    task_count = arguments.tasks

    say(f"database {DATABASE_NAME}: create if missing, migrate, flush")
    prepare_database(DATABASE_NAME)
    flush_database()
    say(f"Label Studio '{SERVER_NAME}' on port {SERVER_PORT}: reset and start")
    os.environ[TOKEN_ENV_VAR] = token = start_label_studio()
    try:
        import django

        django.setup()
        say(f"creating {2 * task_count:,} tasks in annotate (a batch to push, a batch to pull)")
        connection, push_target, pull_target = create_fixtures(task_count)
        push = bench_push(token, push_target, task_count)
        pull, label_studio_project = bench_full_pull(token, pull_target, connection, task_count)
        incremental = bench_incremental_pull(label_studio_project)
        report(task_count, push, pull, incremental)
    finally:
        say(f"stopping Label Studio '{SERVER_NAME}' (its data stays under var/labelstudio/{SERVER_NAME})")
        stop_label_studio()


if __name__ == "__main__":
    main()
