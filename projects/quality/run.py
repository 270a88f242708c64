"""The whole project's quality pass: gold scores, then per batch agreement, stored consensus and a QA sample,
each batch's annotations loaded once for all three. On PostgreSQL, outside a transaction, loads and writes run on
two threads of their own beside the computation; elsewhere everything runs in the calling thread.
"""

from __future__ import annotations

import contextvars
import gc
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from django.db import connection, connections
from django.utils import timezone

from projects.audit import Actor, records_actor
from projects.models import Batch, LabelingProject, QASample
from projects.quality.batch_agreement import BatchAgreement, agreement_from_labels
from projects.quality.consensus.build import BatchAggregation, batch_consensus
from projects.quality.consensus.storage import consensus_copy_text, store_consensus
from projects.quality.controls import PASS_KINDS, project_controls
from projects.quality.gold.scores import GoldScore, score_gold
from projects.quality.loading import load_batch_labels
from projects.quality.sampling.qa_sample import (
    first_tasks_by_annotator,
    flags_by_annotator,
    plan_sample_from_labels,
    sampling_settings,
    store_qa_sample,
)

if TYPE_CHECKING:
    pass

T = TypeVar("T")


# The steps of `run_quality`: aggregation computes the consensus, consensus_write stores it as ItemConsensus.
QUALITY_STEPS = ("gold", "load", "agreement", "aggregation", "consensus_write", "sample")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one step of a batch, then collect what the step left, once.

    A step allocates a few hundred thousand small objects (rows, labels, figures) and keeps the earlier
    batches' results alive; with the collector on it rescans them over and over, a third of the step's time.
    Reference counting still frees everything as usual while it is paused.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect(0)


@dataclass(frozen=True)
class BatchQuality:
    batch: int
    annotations: int
    agreement: BatchAgreement
    aggregation: BatchAggregation
    sample: QASample


@dataclass(frozen=True)
class ProjectQuality:
    project: int
    gold: list[GoldScore]
    batches: list[BatchQuality]
    # Time per step of QUALITY_STEPS, summed over batches. Loads, consensus and QA sample writes run beside
    # the computation (see `run_quality`), so the steps can add up to more than the run's wall time.
    seconds: dict[str, float]


class _AtOnce:
    """Runs a job at once, in the calling thread: what `run_quality` uses when it cannot run jobs beside it."""

    def submit(self, job: Callable[..., T], /, *arguments: object) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(job(*arguments))
        except Exception as error:
            future.set_exception(error)
        return future

    def shutdown(self) -> None:
        pass


class _Beside:
    """One thread with its own database connection, running jobs in order beside the calling thread."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1)

    def submit(self, job: Callable[..., T], /, *arguments: object) -> Future[T]:
        # In a copy of the caller's context, so the audit log names the same actor.
        return self.executor.submit(contextvars.copy_context().run, job, *arguments)

    def shutdown(self) -> None:
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown()


def _timed(job: Callable[..., T], *arguments: object) -> tuple[T, float]:
    started = time.perf_counter()
    result = job(*arguments)
    return result, time.perf_counter() - started


@records_actor
def run_quality(
    *,
    project: LabelingProject,
    actor: Actor,
    seed: int = 0,
    resamples: int = 500,
    progress: Callable[[BatchQuality], None] | None = None,
) -> ProjectQuality:
    """The project's quality pass: gold scores, then per batch agreement, stored consensus and a QA sample.

    Each batch gets what `compute_agreement`, `aggregate_batch` and `draw_qa_sample` give it, but its
    annotations are loaded once for all three, and gold scores and first tasks once for the project.
    Each batch's writes are atomic and idempotent as in those functions (a rerun recomputes the consensus
    and keeps a QA sample already drawn with this seed); the pass as a whole is not one transaction.
    `progress` sees each batch's result once it is stored; `seconds` says where the time went.

    On PostgreSQL, outside a transaction, the next batch's annotations are loaded, and each batch's consensus
    and QA sample written, on two threads of their own while this one computes: the database's time and
    Python's overlap on a machine with two cores or more. Inside a transaction (other connections would not
    see its rows) and on other databases everything runs in this thread, in the same order.
    """
    seconds = dict.fromkeys(QUALITY_STEPS, 0.0)

    @contextmanager
    def step(name: str) -> Iterator[None]:
        started = time.perf_counter()
        with _collector_paused():
            yield
        seconds[name] += time.perf_counter() - started

    def finished(name: str, future: Future[tuple[T, float]]) -> T:
        result, duration = future.result()
        seconds[name] += duration
        return result

    controls = {name: control for name, control in project_controls(project).items() if control.kind in PASS_KINDS}
    settings = sampling_settings(project)
    with step("gold"):
        gold = score_gold(project=project)
    with step("sample"):
        flags = flags_by_annotator(project)
    batches = list(Batch.objects.filter(project=project).select_related("project").order_by("id"))
    beside = connection.vendor == "postgresql" and not connection.in_atomic_block
    reader, writer = (_Beside(), _Beside()) if beside else (_AtOnce(), _AtOnce())
    results: list[BatchQuality] = []
    # Batches computed, not yet reported: their results, and their consensus and sample writes, in batch order.
    pending: list[tuple[Batch, int, BatchAgreement, BatchAggregation, Future, Future]] = []
    first_tasks: dict[int, list[int]] = {}  # annotator → their first tasks' annotations, shared by the batches
    try:
        loads = [reader.submit(_timed, load_batch_labels, batches[0], controls)] if batches else []
        for position, batch in enumerate(batches):
            labels = finished("load", loads[position])
            if position + 1 < len(batches):
                loads.append(reader.submit(_timed, load_batch_labels, batches[position + 1], controls))
            loads[position] = None  # the batch's labels go when the batch is done
            with step("agreement"):
                agreement = agreement_from_labels(batch, controls, labels, resamples, seed)
            with step("aggregation"):
                aggregation, consensus_rows = batch_consensus(batch, labels)
            with step("consensus_write"):
                # Made here, so the writer thread waits on the database only, not on this thread for Python's lock.
                copy_text = consensus_copy_text(consensus_rows, timezone.now()) if beside else None
            write = writer.submit(_timed, store_consensus, batch, consensus_rows, copy_text)
            with step("sample"):
                sample, plan = QASample.objects.filter(batch=batch, seed=seed).first(), None
                if sample is None:
                    annotators = set(np.unique(labels.annotator).tolist())
                    first_tasks.update(
                        first_tasks_by_annotator(
                            project.pk, annotators - first_tasks.keys(), settings.first_tasks_in_full
                        )
                    )
                    first = {annotation for annotator in annotators for annotation in first_tasks.get(annotator, ())}
                    plan = plan_sample_from_labels(
                        seed=seed,
                        settings=settings,
                        labels=labels,
                        aggregation=aggregation,
                        gold_scores=gold,
                        first=first,
                        flags=flags,
                    )
            # Stored outside the step: the store's own time is added when it is done, wherever it ran.
            if plan is not None:
                stored = writer.submit(_timed, store_qa_sample, batch, seed, actor.user, settings, plan)
            else:
                stored = _AtOnce().submit(_timed, lambda drawn=sample: drawn)
            pending.append((batch, len(labels), agreement, aggregation, write, stored))
            last = position + 1 == len(batches)
            while pending and (last or (pending[0][4].done() and pending[0][5].done())):
                done, annotations, done_agreement, done_aggregation, write, stored = pending.pop(0)
                finished("consensus_write", write)
                sample = finished("sample", stored)
                result = BatchQuality(done.pk, annotations, done_agreement, done_aggregation, sample)
                results.append(result)
                if progress is not None:
                    progress(result)
    finally:
        reader.shutdown()
        writer.shutdown()
    return ProjectQuality(project=project.pk, gold=gold, batches=results, seconds=seconds)
