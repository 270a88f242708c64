"""What the benchmarks under bench/ share: their setup, their databases, their memory figures and their data.

- Setup: importing this module puts the checkout on sys.path and names annotate's settings, so a benchmark
  (run as a script, with bench/ on its path) starts with `import common` and imports Django and projects after it.
- Databases: each benchmark has a PostgreSQL database of its own on 127.0.0.1:5432 (`use_database`),
  created when missing and migrated (`prepare_database`), flushed where it starts from nothing
  (`flush_database`).
- Memory: this process's peak RSS, the kernel's high-water mark, reset just before what is measured.
- Data: the label config (the "scenario" single choice: refund, not_received, damaged) and the English and
  Chinese openings of the generated conversations; for the benchmarks with a simulated workforce (quality,
  dashboard) their sizes, the demo's annotator profiles in a plausible mix, the annotators, and each batch
  written with its labels; COPY of lines already in COPY's text format.
- Report: a table of figures with their goals, and the verdict on each.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "annotate.settings"


def say(message: str) -> None:
    """A progress line, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the database ------------------------------------------------------------------------------------

POSTGRES = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]


def use_database(name: str) -> None:
    """Point Django, in this process and in the manage.py commands it starts, at the PostgreSQL database `name`."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"


def prepare_database(name: str) -> None:
    """The database exists and is migrated, and Django points at it."""
    use_database(name)
    exists = subprocess.run(
        ["psql", *POSTGRES, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not exists:
        subprocess.run(["createdb", *POSTGRES, name], check=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)


def flush_database() -> None:
    """The database holds nothing from an earlier run."""
    subprocess.run([sys.executable, "manage.py", "flush", "--noinput", "-v", "0"], cwd=ROOT, check=True)


def copy_rows(cursor, table: str, columns: list[str], lines: Iterable[str]) -> None:
    """Write lines already in COPY's text format into a table, in COPY statements of about 8 MB each."""
    from projects.database.copy import copy_rows as copy_text

    buffer = io.StringIO()
    for line in lines:
        buffer.write(line)
        if buffer.tell() > 8_000_000:
            copy_text(cursor, table, columns, buffer.getvalue())
            buffer = io.StringIO()
    if buffer.tell():
        copy_text(cursor, table, columns, buffer.getvalue())


# -- memory ------------------------------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the data ----------------------------------------------------------------------------------------

SCENARIOS = ("refund", "not_received", "damaged")
TRUE_SHARES = (0.5, 0.3, 0.2)
# Per vendor: the demo's profiles in a plausible mix.
PROFILE_MIX = (("careful", 0.3), ("steady", 0.48), ("fast_sloppy", 0.16), ("spammer", 0.06))
EN = ["Where is my parcel? It has not moved, order", "I want a refund for the order", "The box arrived crushed,"]
ZH = ["亲，快递好几天没动了，订单号", "我要退款，订单", "包裹到了但是外箱压坏了，订单"]
# A label as Label Studio stores it (its region id left to fill in), and a gold answer, per scenario.
CHOICE_JSON = [
    '[{"id": "%s", "type": "choices", "value": {"choices": ["' + scenario + '"]}, "origin": "manual", '
    '"to_name": "message", "from_name": "scenario"}]'
    for scenario in SCENARIOS
]
GOLD_JSON = [
    '[{"type": "choices", "value": {"choices": ["' + scenario + '"]}, "to_name": "message", "from_name": "scenario"}]'
    for scenario in SCENARIOS
]
TASK_FIELDS = (
    "project", "batch", "external_id", "data", "language", "is_gold", "gold_answer", "predictions", "status",
    "created_at",
)  # fmt: skip
ANNOTATION_FIELDS = (
    "task", "annotator", "result", "was_cancelled", "lead_time", "version", "is_deleted", "created_at", "updated_at",
    "pulled_at",
)  # fmt: skip


def scenario_config(*texts: str) -> str:
    """The label config: the "scenario" question about a conversation whose `texts` (data keys) are shown."""
    shown = "".join(f'<Text name="{text}" value="${text}"/>' for text in texts)
    return f"""<View>
  {shown}
  <Choices name="scenario" toName="message" choice="single">
    <Choice value="refund"/><Choice value="not_received"/><Choice value="damaged"/>
  </Choices>
</View>"""


CONFIG = scenario_config("message", "reply")


class Sizes:
    """What a benchmark with a simulated workforce generates, from its options."""

    overlap = 3
    gold_rate = 0.1

    def __init__(self, arguments: argparse.Namespace, *, benchmark: str, batch_size: int | None = None) -> None:
        self.benchmark = benchmark
        self.tasks = arguments.tasks
        self.batch_size = arguments.batch_size if batch_size is None else batch_size
        self.annotators = arguments.annotators
        self.vendors = arguments.vendors
        self.seed = arguments.seed
        self.batches = -(-self.tasks // self.batch_size)
        self.gold_per_batch = round(self.batch_size * self.gold_rate / (1 - self.gold_rate))
        self.per_vendor = self.annotators // self.vendors

    @property
    def label(self) -> str:
        """The project's name: what was generated, so a rerun with other sizes regenerates."""
        return (
            f"bench {self.benchmark} {self.tasks} tasks, batches of {self.batch_size}, {self.annotators} annotators, "
            f"{self.vendors} vendors, seed {self.seed}"
        )


def profiles_of(sizes: Sizes) -> list[str]:
    """Each annotator's profile, in creation order (vendor by vendor)."""
    profiles = []
    for _ in range(sizes.vendors):
        counts = [round(share * sizes.per_vendor) for _, share in PROFILE_MIX]
        counts[1] += sizes.per_vendor - sum(counts)
        for (name, _), count in zip(PROFILE_MIX, counts, strict=True):
            profiles.extend([name] * count)
    return profiles


@dataclass(frozen=True)
class Workforce:
    """The vendors, and each annotator (in creation order) with what its profile makes of its labels."""

    vendors: list
    annotator_ids: np.ndarray
    accuracy: np.ndarray
    spammer: np.ndarray
    medians: np.ndarray
    spreads: np.ndarray


def create_workforce(sizes: Sizes, *, username_prefix: str) -> Workforce:
    """`sizes.vendors` vendors with `sizes.per_vendor` annotators each, profiled as `profiles_of` says."""
    import numpy as np
    from django.contrib.auth import get_user_model

    from projects.demo.simulation import PROFILES
    from projects.models import Annotator, Vendor

    vendors = Vendor.objects.bulk_create(
        Vendor(name=f"Vendor {number}", slug=f"vendor-{number}", languages=["en", "zh"])
        for number in range(sizes.vendors)
    )
    profiles = profiles_of(sizes)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{username_prefix}-{number:03d}-{profile}", password="!")
        for number, profile in enumerate(profiles)
    )
    annotators = Annotator.objects.bulk_create(
        Annotator(user=user, vendor=vendors[number // sizes.per_vendor], languages=["en", "zh"])
        for number, user in enumerate(users)
    )
    return Workforce(
        vendors=vendors,
        annotator_ids=np.array([annotator.pk for annotator in annotators]),
        accuracy=np.array([PROFILES[profile].accuracy.get("scenario", 0.0) for profile in profiles]),
        spammer=np.array([PROFILES[profile].fixed_answer is not None for profile in profiles]),
        medians=np.array([PROFILES[profile].median_seconds for profile in profiles]),
        spreads=np.array([PROFILES[profile].spread for profile in profiles]),
    )


@dataclass(frozen=True)
class BatchToLabel:
    """A batch just created, and its tasks to write: in COPY's text format, their true scenarios and creation times.

    All three in the order of the tasks' external ids; `vendor` is the batch's vendor's number, `generator` what
    draws its labels.
    """

    batch: object
    vendor: int
    task_lines: list[str]
    truth: np.ndarray
    moments: np.ndarray
    generator: np.random.Generator


def generate_labeled_project(
    sizes: Sizes,
    *,
    slug: str,
    label_config: str,
    username_prefix: str,
    batches_to_label: Callable[[object, Workforce, Sizes], Iterable[BatchToLabel]],
    vacuum: bool,
) -> None:
    """The database flushed, then an active project named for `sizes`, its workforce, and its batches with labels.

    `batches_to_label(project, workforce, sizes)` creates the batches one by one; each is written with its
    labels as it comes, a transaction a batch. The tasks and labels are analyzed at the end, and with `vacuum`
    vacuumed too, so the visibility map lets counts use index-only scans as on a settled production table.
    """
    from django.db import connection

    from projects.models import Annotation, LabelingProject, Task

    say("flushing the database")
    flush_database()
    workforce = create_workforce(sizes, username_prefix=username_prefix)
    project = LabelingProject.objects.create(
        slug=slug,
        name=sizes.label,
        label_config=label_config,
        overlap=sizes.overlap,
        gold_rate=sizes.gold_rate,
        status=LabelingProject.Status.ACTIVE,
    )
    total = 0
    for number, to_label in enumerate(batches_to_label(project, workforce, sizes), start=1):
        labels = write_labeled_batch(to_label, workforce=workforce, sizes=sizes)
        total += labels
        say(
            f"  batch {number}/{sizes.batches}: {len(to_label.task_lines):,} tasks, {labels:,} annotations "
            f"({total:,} in all)"
        )
    with connection.cursor() as cursor:
        if vacuum:
            cursor.execute(f"VACUUM ANALYZE {Task._meta.db_table}, {Annotation._meta.db_table}")
        else:
            cursor.execute(f"ANALYZE {Task._meta.db_table}; ANALYZE {Annotation._meta.db_table}")


def write_labeled_batch(to_label: BatchToLabel, *, workforce: Workforce, sizes: Sizes) -> int:
    """The batch's tasks and `sizes.overlap` labels on each, in one transaction; returns the number of labels.

    Each task is labeled by distinct annotators of the batch's vendor, ten minutes after it came and a minute
    apart; a label is right with its annotator's accuracy (else another scenario), a spammer always answers the
    first scenario.
    """
    import numpy as np
    from django.db import connection, transaction

    from projects.models import Annotation, Task

    task_columns = [Task._meta.get_field(name).column for name in TASK_FIELDS]
    annotation_columns = [Annotation._meta.get_field(name).column for name in ANNOTATION_FIELDS]
    generator, truth, count = to_label.generator, to_label.truth, len(to_label.task_lines)
    with transaction.atomic():
        with connection.cursor() as cursor:
            copy_rows(cursor.cursor, Task._meta.db_table, task_columns, to_label.task_lines)
        task_ids = np.array(
            Task.objects.filter(batch=to_label.batch).order_by("external_id").values_list("id", flat=True),
            dtype=np.int64,
        )
        offset = to_label.vendor * sizes.per_vendor
        who = offset + np.argsort(generator.random((count, sizes.per_vendor)), axis=1)[:, : sizes.overlap]
        who = who.ravel()
        tasks = np.repeat(np.arange(count), sizes.overlap)
        right = generator.random(len(who)) < workforce.accuracy[who]
        wrong = (truth[tasks] + generator.integers(1, len(SCENARIOS), size=len(who))) % len(SCENARIOS)
        labels = np.where(right, truth[tasks], wrong)
        labels[workforce.spammer[who]] = 0
        lead_times = np.maximum(
            1.0, workforce.medians[who] * np.exp(generator.normal(0.0, workforce.spreads[who]))
        ).round(1)
        done = np.datetime_as_string(to_label.moments[tasks] + 600 + np.tile(np.arange(sizes.overlap) * 60, count))
        region_ids = generator.integers(0, 16**10, size=len(who))
        lines = [
            f"{task_ids[task]}\t{workforce.annotator_ids[annotator]}\t{CHOICE_JSON[label] % f'{region:010x}'}\tf\t"
            f"{lead_time}\t1\tf\t{moment}+00\t{moment}+00\t{moment}+00\n"
            for task, annotator, label, lead_time, moment, region in zip(
                tasks.tolist(), who.tolist(), labels.tolist(), lead_times.tolist(), done, region_ids.tolist(),
                strict=True,
            )
        ]  # fmt: skip
        with connection.cursor() as cursor:
            copy_rows(cursor.cursor, Annotation._meta.db_table, annotation_columns, lines)
    return len(lines)


# -- the report --------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    """The figures, after a blank line: what, the measure, the goal, whether it is met."""
    header = ("figure", "measured", "goal", "")
    widths = [max(len(title), *(len(row[column]) for row in rows)) for column, title in enumerate(header)]
    print()
    print("  ".join(title.ljust(width) for title, width in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def bench_actor(benchmark: str):
    """The audit log's actor for what a benchmark writes: annotate itself, named for the benchmark."""
    from projects.audit import Actor

    return Actor.system(f"benchmark {benchmark}", via="bench")
