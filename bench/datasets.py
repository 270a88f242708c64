"""Benchmark: build a 300,000-item gold dataset version in PostgreSQL, and export it to Parquet in bounded memory.

The data: one project with the "scenario" single-choice control, N tasks (English and Chinese
conversations) and one ItemConsensus row per task, with confidences spread so about one task in
ten falls below the project's 0.7 threshold (left out), and 1% adjudicated. It is written with COPY
into the database annotate_benchdatasets (created and migrated when missing) and kept: later runs
reuse it unless --regenerate is given or the size differs. Earlier dataset versions are truncated
before each run (raw SQL: the ORM refuses to delete a built version), so every run builds version 1.

Figures:
1. the wall time of `build_dataset_version` (load, resolve, hash, COPY, all in one transaction);
2. the peak RSS of a Parquet export of that version, in a child process that does nothing else
   (its own rusage from os.wait4), with its wall time and file size; the file is checked with pyarrow.

Usage: .venv/bin/python bench/datasets.py [--tasks N] [--regenerate]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from common import CONFIG, EN, ROOT, SCENARIOS, ZH, bench_actor, copy_rows, prepare_database, say, use_database

DATABASE_NAME = "annotate_benchdatasets"
use_database(DATABASE_NAME)  # here, so the export child inherits it
SLUG = "bench-datasets"
GOALS = {"build_seconds": 30.0, "export_peak_mb": 300.0}


def generate(tasks: int, regenerate: bool):
    """The bench project with `tasks` tasks and their consensus, generated unless already there."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from projects.database.copy import escape_for_copy
    from projects.models import LabelingProject

    name = f"bench datasets {tasks} tasks"
    project = LabelingProject.objects.filter(slug=SLUG).first()
    if project is not None and project.name == name and not regenerate:
        say(f"reusing {tasks:,} tasks in {DATABASE_NAME}")
        return project
    say(f"generating {tasks:,} tasks and their consensus with COPY")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE projects_datasetitem, projects_datasetexclusion, projects_datasetversion, "
            "projects_adjudication, projects_itemconsensus, projects_task, projects_labelingproject CASCADE"
        )
    adjudicator, _ = get_user_model().objects.get_or_create(username="bench-adjudicator")
    rng = random.Random(7)
    with transaction.atomic():
        project = LabelingProject.objects.create(slug=SLUG, name=name, label_config=CONFIG, languages=["en", "zh"])
        lines = []
        for number in range(tasks):
            language = "zh" if number % 3 == 0 else "en"
            text = (ZH if language == "zh" else EN)[number % 3]
            data = json.dumps({"message": f"{text} SO-{number:07d}", "reply": "We are on it."}, ensure_ascii=False)
            data = escape_for_copy(data)
            lines.append(f"{project.pk}\tconv-{number:07d}\t{data}\t{language}\tf\t[]\tnew\t2025-01-01 00:00:00+00\n")
        with connection.cursor() as cursor:
            copy_rows(
                cursor,
                "projects_task",
                ["project_id", "external_id", "data", "language", "is_gold", "predictions", "status", "created_at"],
                lines,
            )
            cursor.execute("SELECT id FROM projects_task WHERE project_id = %s ORDER BY id", [project.pk])
            task_ids = [row[0] for row in cursor.fetchall()]
            consensus, adjudications = [], []
            for task_id in task_ids:
                label = rng.choices(SCENARIOS, weights=(5, 3, 2))[0]
                confidence = round(min(1.0, rng.uniform(0.64, 1.3)), 4)
                consensus.append(
                    f'{task_id}\tscenario\tdawid_skene\t"{label}"\t{confidence}\t{{}}\t3\t'
                    f"{'t' if confidence < 0.5 else 'f'}\t2025-01-02 00:00:00+00\n"
                )
                if rng.random() < 0.01:
                    adjudications.append(
                        f'{task_id}\tscenario\t"{rng.choice(SCENARIOS)}"\t{adjudicator.pk}\t\t2025-01-03 00:00:00+00\n'
                    )
            copy_rows(
                cursor,
                "projects_itemconsensus",
                [
                    "task_id",
                    "control_name",
                    "method",
                    "label",
                    "confidence",
                    "probabilities",
                    "ratings",
                    "needs_adjudication",
                    "computed_at",
                ],
                consensus,
            )
            copy_rows(
                cursor,
                "projects_adjudication",
                ["task_id", "control_name", "label", "adjudicator_id", "comment", "created_at"],
                adjudications,
            )
            cursor.execute("ANALYZE")
    return project


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def export_child(version_id: int, output: str) -> None:
    """The measured child: export one version to Parquet and nothing else."""
    import django

    django.setup()
    # What every Django process of the app holds before any export (admin autodiscovery imports every app module).
    print(f"BASELINE {_current_rss_mb():.1f}", flush=True)
    from projects.datasets.exports import export_chunks
    from projects.models import DatasetVersion

    version = DatasetVersion.objects.select_related("project").get(pk=version_id)
    with open(output, "wb") as file:
        for chunk in export_chunks(version, "parquet"):
            file.write(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=300_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--export-child", nargs=2, metavar=("VERSION_ID", "OUTPUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.export_child:
        export_child(int(arguments.export_child[0]), arguments.export_child[1])
        return

    prepare_database(DATABASE_NAME)
    import django

    django.setup()
    import pyarrow.parquet as pq
    from django.db import connection

    from projects.datasets.builds import build_dataset_version

    project = generate(arguments.tasks, arguments.regenerate)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE projects_datasetitem, projects_datasetexclusion, projects_datasetversion CASCADE")

    say("building the version")
    started = time.perf_counter()
    version = build_dataset_version(project=project, actor=bench_actor("datasets"), note="bench")
    build_seconds = time.perf_counter() - started
    say(f"built {version}: {version.item_count:,} items, {version.excluded['total']:,} left out")

    output = ROOT / "var" / "bench-datasets.parquet"
    output.parent.mkdir(exist_ok=True)
    say("exporting to Parquet in a child process")
    connection.close()
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--export-child", str(version.pk), str(output)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    baseline_mb = float(child_output.split("BASELINE ", 1)[1].split()[0])
    child.returncode = os.waitstatus_to_exitcode(status)
    export_seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"the export child failed with exit code {child.returncode}")
    export_peak_mb = usage.ru_maxrss / 1024
    rows = pq.ParquetFile(output).metadata.num_rows
    assert rows == version.item_count, f"{rows} rows in the file, {version.item_count} items in the version"

    print()
    print(
        f"dataset version of {arguments.tasks:,} tasks: {version.item_count:,} items, hash {version.content_hash[:16]}…"
    )
    print(f"{'figure':<34} {'value':>12} {'goal':>10}  met")
    table = [
        ("build time (s)", build_seconds, f"<= {GOALS['build_seconds']:g}", build_seconds <= GOALS["build_seconds"]),
        (
            "Parquet export peak RSS (MB)",
            export_peak_mb,
            f"< {GOALS['export_peak_mb']:g}",
            export_peak_mb < GOALS["export_peak_mb"],
        ),
        ("  of which the process after setup", baseline_mb, "", None),
        ("  of which the export itself", export_peak_mb - baseline_mb, "", None),
        ("Parquet export time (s)", export_seconds, "", None),
        ("Parquet file size (MB)", output.stat().st_size / 1e6, "", None),
    ]
    for figure, value, goal, met in table:
        print(f"{figure:<34} {value:>12.1f} {goal:>10}  {'' if met is None else 'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
