"""Benchmark: a full quality run over 1,000,000 annotations in PostgreSQL, and its Dawid-Skene against crowd-kit's.

The data: one project whose label config asks one single-choice question (the "scenario" control the
other benchmarks use: refund, not_received, damaged). 300,000 tasks in 30 batches of 10,000, each batch
with gold tasks mixed in at 10% (1,111 per batch), every task labeled by 3 annotators: 999,990
annotations. 200 annotators across 4 vendors; a batch goes to one vendor and is labeled by that vendor's
50 annotators. Each annotator has a profile from the demo's simulated workforce (careful, steady, fast and
sloppy, spammer: their accuracy on "scenario" and their lead times), so every label is drawn against a
known true label and the report can say how often majority vote and Dawid-Skene find it. The data is
written with COPY into the database annotate_benchquality (created and migrated when missing) and kept:
later runs reuse it unless --regenerate is given or the sizes differ.

A full quality run is `quality_run.run_quality(project=...)`: the project's gold scores per annotator
(`score_gold`), then for every batch, its annotations loaded once, agreement per control, vendor and
annotator pair with bootstrap 95% intervals (`compute_agreement`, 500 resamples), Dawid-Skene with gold
held fixed (crowd-kit's DawidSkene step for step in NumPy; tests/quality/stats/test_aggregation.py holds the two
equal) stored as ItemConsensus (`aggregate_batch`), and a QA sample drawn and stored
(`draw_qa_sample`). Earlier consensus rows and QA samples of the project are deleted and the tables
vacuumed first (not timed), so every run does the same work on the same tables.

Figures:
1. the run's wall time in total, against the goal of 20 s, and the time each step took (gold, load, agreement,
   aggregation, consensus_write, sample): the next batch's load and each batch's consensus and QA sample writes
   run on threads of their own beside the computation, so the steps add up to more than the total;
2. its aggregation step (consensus computed, and written: the write's own time, though it overlaps) against
   crowd-kit's DawidSkene fitted directly on the same ratings (per batch, gold as true_labels, the same
   iterations and tolerance, data already in memory), against the goal of 1.3x; and the same without the
   write, for information;
3. the peak RSS of this process during the run (VmHWM, reset just before it), and the machine's load
   average around it: the machine is shared, so read the times with it.

Usage: .venv/bin/python bench/quality.py [--regenerate] [--tasks N] [--batch-size N] [--annotators N]
       [--vendors N] [--resamples N] [--database NAME] [--profile FILE]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from common import (
    CONFIG,
    EN,
    GOLD_JSON,
    SCENARIOS,
    TRUE_SHARES,
    ZH,
    BatchToLabel,
    Sizes,
    Workforce,
    bench_actor,
    generate_labeled_project,
    peak_rss_mb,
    prepare_database,
    print_table,
    reset_peak_rss,
    say,
    verdict,
)

DATABASE_NAME = "annotate_benchquality"
SLUG = "bench-quality"
GOALS = {"total_seconds": 20.0, "aggregation_ratio": 1.3}


def batch_truth(seed: int, batch: int, count: int) -> np.ndarray:
    return np.random.default_rng([seed, batch, 0]).choice(len(SCENARIOS), size=count, p=TRUE_SHARES)


def batches_to_label(project, workforce: Workforce, sizes: Sizes) -> Iterator[BatchToLabel]:
    """A batch a day, the vendors in turn, its gold tasks on top of the regular ones and among them at random."""
    from projects.models import Batch

    started_at = np.datetime64("2026-01-05T08:00:00", "s")
    for number in range(sizes.batches):
        regular = min(sizes.batch_size, sizes.tasks - number * sizes.batch_size)
        count = regular + sizes.gold_per_batch
        vendor = number % sizes.vendors
        batch = Batch.objects.create(
            project=project,
            name=f"batch {number:03d}",
            vendor=workforce.vendors[vendor],
            target_count=count,
            status=Batch.Status.DELIVERED,
        )
        generator = np.random.default_rng([sizes.seed, number, 1])
        truth = batch_truth(sizes.seed, number, count)
        is_gold = np.zeros(count, dtype=bool)
        is_gold[generator.choice(count, size=sizes.gold_per_batch, replace=False)] = True
        moments = started_at + np.timedelta64(number * 86400, "s") + np.arange(count) * 2
        task_times = np.datetime_as_string(moments)
        lines = []
        for index in range(count):
            external_id = f"b-{number:03d}-{index:05d}"
            opening = (EN if index % 2 else ZH)[index % 3]
            gold = GOLD_JSON[truth[index]] if is_gold[index] else "\\N"
            lines.append(
                f'{project.pk}\t{batch.pk}\t{external_id}\t{{"message": "{opening} SO-{number:03d}-{index:05d}", '
                f'"reply": "ok"}}\t{"en" if index % 2 else "zh"}\t{"t" if is_gold[index] else "f"}\t{gold}\t[]\t'
                f"annotated\t{task_times[index]}+00\n"
            )
        yield BatchToLabel(
            batch=batch, vendor=vendor, task_lines=lines, truth=truth, moments=moments, generator=generator
        )


def existing_project(sizes: Sizes):
    from projects.models import LabelingProject

    return LabelingProject.objects.filter(slug=SLUG, name=sizes.label).first()


def known_truth(project) -> dict[int, int]:
    """Task id → true scenario index, for the project's non-gold tasks."""
    from projects.models import Task

    truth = {}
    rows = Task.objects.filter(project=project).order_by("external_id").values_list("id", "external_id", "is_gold")
    by_batch: dict[int, list[tuple[int, int, bool]]] = {}
    for task, external_id, is_gold in rows.iterator(chunk_size=20_000):
        _, batch, index = external_id.split("-")
        by_batch.setdefault(int(batch), []).append((task, int(index), is_gold))
    for batch, tasks in by_batch.items():
        labels = batch_truth(project_seed(project), batch, len(tasks))
        for task, index, is_gold in tasks:
            if not is_gold:
                truth[task] = int(labels[index])
    return truth


def project_seed(project) -> int:
    return int(project.name.rsplit(" ", 1)[1])


# -- crowd-kit directly ------------------------------------------------------------------------------


def crowdkit_direct(project) -> tuple[float, int]:
    """crowd-kit's DawidSkene fitted per batch on the batch's ratings, gold as true labels; seconds in fit()."""
    import pandas as pd
    from crowdkit.aggregation import DawidSkene

    from projects.models import Annotation, Batch, Task

    code = {scenario: index for index, scenario in enumerate(SCENARIOS)}
    seconds, fits = 0.0, 0
    for batch in Batch.objects.filter(project=project).order_by("id"):
        rows = Annotation.objects.filter(
            task__batch=batch, is_deleted=False, was_cancelled=False, annotator__isnull=False
        ).values_list("task_id", "annotator_id", "result")
        frame = pd.DataFrame(
            [(task, annotator, code[result[0]["value"]["choices"][0]]) for task, annotator, result in rows],
            columns=["task", "worker", "label"],
        )
        gold = {
            task: code[answer[0]["value"]["choices"][0]]
            for task, answer in Task.objects.filter(batch=batch, is_gold=True).values_list("id", "gold_answer")
        }
        true_labels = pd.Series(gold, dtype="int64")
        started = time.perf_counter()
        DawidSkene(n_iter=100, tol=1e-5).fit(frame, true_labels)
        seconds += time.perf_counter() - started
        fits += 1
    return seconds, fits


# -- report ------------------------------------------------------------------------------------------


def accuracy_against_truth(run, truth: dict[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    from projects.quality.consensus.build import truth_accuracy

    labels = dict(enumerate(SCENARIOS))
    truth_labels = {task: labels[index] for task, index in truth.items()}
    majority = [0, 0]
    dawid_skene = [0, 0]
    for batch in run.batches:
        control = batch.aggregation.controls["scenario"]
        for tally, items in ((majority, control.majority), (dawid_skene, control.dawid_skene.items)):
            right, total = truth_accuracy(items, truth_labels)
            tally[0] += right
            tally[1] += total
    return (majority[0], majority[1]), (dawid_skene[0], dawid_skene[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regenerate", action="store_true", help="Generate the data again even if it is there.")
    parser.add_argument("--tasks", type=int, default=300_000, help="Non-gold tasks (gold comes on top, 10%%).")
    parser.add_argument("--batch-size", type=int, default=10_000, help="Non-gold tasks per batch.")
    parser.add_argument("--annotators", type=int, default=200)
    parser.add_argument("--vendors", type=int, default=4)
    parser.add_argument("--resamples", type=int, default=500, help="Bootstrap resamples per agreement interval.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=DATABASE_NAME, help="PostgreSQL database of the data.")
    parser.add_argument("--profile", type=Path, help="Write a cProfile of the run to this file.")
    arguments = parser.parse_args()
    sizes = Sizes(arguments, benchmark="quality")

    say(f"database {arguments.database}: create if missing, migrate")
    prepare_database(arguments.database)
    import django

    django.setup()
    from django.db import connection

    from projects.models import Annotation, ItemConsensus, QASample, QASampleItem
    from projects.quality.run import QUALITY_STEPS, run_quality

    project = None if arguments.regenerate else existing_project(sizes)
    if project is None:
        say(f"generating: {sizes.label}")
        started = time.perf_counter()
        generate_labeled_project(
            sizes, slug=SLUG, label_config=CONFIG, username_prefix="bq", batches_to_label=batches_to_label, vacuum=False
        )
        say(f"  generated in {time.perf_counter() - started:.0f} s")
        project = existing_project(sizes)
    else:
        say(f"reusing the data already generated: {sizes.label} (--regenerate to start again)")
    annotations = Annotation.objects.filter(task__project=project).count()
    say(f"project {project.slug}: {project.batches.count()} batches, {annotations:,} annotations")

    say("deleting earlier consensus rows and QA samples of the project, then VACUUM (not timed)")
    QASample.objects.filter(batch__project=project).delete()
    ItemConsensus.objects.filter(task__project=project).delete()
    # Otherwise autovacuum reclaims the deleted rows during the run, on the same two cores.
    with connection.cursor() as cursor:
        for model in (ItemConsensus, QASampleItem, QASample):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")

    say("phase 1: full quality run (quality_run.run_quality)")
    done = {"batches": 0, "annotations": 0}
    batch_count = project.batches.count()

    def progress(batch) -> None:
        done["batches"] += 1
        done["annotations"] += batch.annotations
        if done["batches"] % 5 == 0 or done["batches"] == batch_count:
            say(f"  {done['batches']}/{batch_count} batches, {done['annotations']:,} / {annotations:,} annotations")

    load_before = os.getloadavg()[0]
    reset_peak_rss()
    started = time.perf_counter()
    if arguments.profile:
        import cProfile

        profiler = cProfile.Profile()
        run = profiler.runcall(
            run_quality, project=project, seed=arguments.seed, resamples=arguments.resamples, progress=progress
        )
        profiler.dump_stats(arguments.profile)
    else:
        run = run_quality(
            project=project,
            actor=bench_actor("quality"),
            seed=arguments.seed,
            resamples=arguments.resamples,
            progress=progress,
        )
    total = time.perf_counter() - started
    peak = peak_rss_mb()
    load_after = os.getloadavg()[0]
    say(f"  done in {total:.1f} s, peak RSS {peak:.0f} MB")

    say("phase 2: crowd-kit DawidSkene directly on the same ratings")
    direct, fits = crowdkit_direct(project)
    say(f"  {fits} fits in {direct:.1f} s")

    truth = known_truth(project)
    (majority_right, majority_total), (ds_right, ds_total) = accuracy_against_truth(run, truth)
    samples = sum(batch.sample.items.count() for batch in run.batches)
    figures = sum(len(batch.agreement.figures) for batch in run.batches)
    aggregation = run.seconds["aggregation"] + run.seconds["consensus_write"]
    ratio = aggregation / direct
    compute_ratio = run.seconds["aggregation"] / direct

    rows = [(f"  step {step}", f"{run.seconds[step]:.1f} s", "", "") for step in QUALITY_STEPS]
    rows = [
        *rows,
        (f"full quality run, {annotations:,} annotations, {len(run.batches)} batches", f"{total:.1f} s",
         f"<= {GOALS['total_seconds']:.0f} s", verdict(total <= GOALS["total_seconds"])),
        (f"crowd-kit DawidSkene directly ({fits} fits)", f"{direct:.1f} s", "", ""),
        (f"aggregation step (consensus + ItemConsensus write): {aggregation:.1f} s / crowd-kit directly",
         f"{ratio:.2f}x", f"<= {GOALS['aggregation_ratio']}x", verdict(ratio <= GOALS["aggregation_ratio"])),
        ("  the same without the write (majority vote, Dawid-Skene, consensus rows)", f"{compute_ratio:.2f}x", "",
         ""),
        ("peak RSS during the run", f"{peak:.0f} MB", "", ""),
        (f"machine: {os.cpu_count()} cores, 1-min load average before / after the run",
         f"{load_before:.1f} / {load_after:.1f}", "", ""),
        ("majority vote vs truth (non-gold tasks, ties wrong)",
         f"{majority_right / majority_total:.2%}", "", ""),
        ("Dawid-Skene vs truth (non-gold tasks)", f"{ds_right / ds_total:.2%}", "", ""),
        ("agreement figures / QA sample items", f"{figures:,} / {samples:,}", "", ""),
    ]  # fmt: skip
    print_table(rows)


if __name__ == "__main__":
    main()
