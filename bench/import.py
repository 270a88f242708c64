"""Benchmark: import a generated N-row JSONL (default 1,000,000) through `manage.py import_tasks`.

Prints rows/s of the whole command (validation pass + write pass) and its peak RSS.
Runs against the configured database: set DATABASE_URL for PostgreSQL. Usage:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_bench .venv/bin/python bench/import.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django
from common import CONFIG, ROOT, SCENARIOS

django.setup()

from django.db import connection  # noqa: E402

from projects.models import LabelingProject  # noqa: E402

# Openings that an item's name completes ("I want a refund for the rice cooker").
EN = ["Where is my parcel? It has not moved for", "I want a refund for the", "The box arrived crushed and the"]
ZH = ["亲，快递好几天没动了，订单号", "我要退款，买的", "包裹到了但是外箱压坏了，里面的"]
ITEMS = ["rice cooker", "running shoes", "蓝牙耳机", "空气净化器", "phone case"]


def write_rows(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for number in range(rows):
            opening = rng.choice(EN if number % 2 else ZH)
            row = {
                "external_id": f"bench-{number:08d}",
                "message": f"{opening} {rng.choice(ITEMS)} SO-2026-{rng.randrange(10**6):06d}",
                "reply": "Sorry for the trouble, we are checking with the courier."
                if number % 2
                else "亲，马上为您查询。",
            }
            if number % 50 == 0:
                row["gold_answer"] = {"scenario": rng.choice(SCENARIOS)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()

    slug = f"bench-import-{int(time.time())}"
    project = LabelingProject.objects.create(slug=slug, name=slug, label_config=CONFIG)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}); project {slug}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "tasks.jsonl"
            started = time.perf_counter()
            write_rows(path, arguments.rows, arguments.seed)
            size_mb = path.stat().st_size / 1e6
            print(f"generated {arguments.rows:,} rows ({size_mb:,.0f} MB) in {time.perf_counter() - started:.1f} s")

            started = time.perf_counter()
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), "import_tasks", slug, str(path)], check=True, cwd=ROOT
            )
            elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        imported = project.tasks.count()
        print(f"imported {imported:,} rows in {elapsed:.1f} s: {imported / elapsed:,.0f} rows/s")
        print(f"peak RSS of the import command: {peak_mb:,.0f} MB")
        print("targets: >= 20,000 rows/s and < 300 MB peak RSS")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM projects_task WHERE project_id = %s", [project.pk])
        project.delete()


if __name__ == "__main__":
    main()
