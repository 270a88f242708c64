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
    from django.contrib.auth.models import AbstractBaseUser

    from projects.quality.stats.anomalies import Flag
    from projects.quality.stats.batch_labels import BatchLabels
    from projects.quality.stats.sampling import Sample

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
    quality_pass = _QualityPass(project, seed=seed, resamples=resamples, user=actor.user, progress=progress)
    quality_pass.score_project()
    batches = list(Batch.objects.filter(project=project).select_related("project").order_by("id"))
    with quality_pass.runners():
        for batch, labels in quality_pass.loaded(batches):
            quality_pass.compute_batch(batch, labels)
            quality_pass.report_stored(wait=False)
        quality_pass.report_stored(wait=True)
    return ProjectQuality(
        project=project.pk, gold=quality_pass.gold, batches=quality_pass.results, seconds=quality_pass.seconds
    )


@dataclass(frozen=True)
class _Computed:
    """A batch computed, not yet reported: its figures, and its consensus and QA sample writes (done or not)."""

    batch: Batch
    annotations: int
    agreement: BatchAgreement
    aggregation: BatchAggregation
    consensus_write: Future
    sample_store: Future


class _QualityPass:
    """One `run_quality`: its settings, the two job runners, the batches in flight, the results and time per step."""

    def __init__(
        self,
        project: LabelingProject,
        *,
        seed: int,
        resamples: int,
        user: AbstractBaseUser | None,
        progress: Callable[[BatchQuality], None] | None,
    ) -> None:
        self.project, self.seed, self.resamples, self.user, self.progress = project, seed, resamples, user, progress
        self.seconds = dict.fromkeys(QUALITY_STEPS, 0.0)
        self.controls = {
            name: control for name, control in project_controls(project).items() if control.kind in PASS_KINDS
        }
        self.settings = sampling_settings(project)
        self.beside = connection.vendor == "postgresql" and not connection.in_atomic_block
        self.reader: _AtOnce | _Beside = _AtOnce()
        self.writer: _AtOnce | _Beside = _AtOnce()
        self.gold: list[GoldScore] = []
        self.flags: dict[int, list[Flag]] = {}
        self.results: list[BatchQuality] = []
        # Batches computed, not yet reported, in batch order.
        self.pending: list[_Computed] = []
        self.first_tasks: dict[int, list[int]] = {}  # annotator → their first tasks' annotations, shared by batches

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        with _collector_paused():
            yield
        self.seconds[name] += time.perf_counter() - started

    def finished(self, name: str, future: Future[tuple[T, float]]) -> T:
        result, duration = future.result()
        self.seconds[name] += duration
        return result

    def score_project(self) -> None:
        """What the project's batches share: the gold scores and the anomaly flags per annotator."""
        with self.step("gold"):
            self.gold = score_gold(project=self.project)
        with self.step("sample"):
            self.flags = flags_by_annotator(self.project)

    @contextmanager
    def runners(self) -> Iterator[None]:
        """The loads and writes on threads of their own where they can run beside this one; stopped at the end."""
        if self.beside:
            self.reader, self.writer = _Beside(), _Beside()
        try:
            yield
        finally:
            self.reader.shutdown()
            self.writer.shutdown()

    def loaded(self, batches: list[Batch]) -> Iterator[tuple[Batch, BatchLabels]]:
        """Each batch with its labels, the next batch's being loaded while this one is computed."""
        load = self.reader.submit(_timed, load_batch_labels, batches[0], self.controls) if batches else None
        for position, batch in enumerate(batches):
            labels = self.finished("load", load)
            if position + 1 < len(batches):
                load = self.reader.submit(_timed, load_batch_labels, batches[position + 1], self.controls)
            yield batch, labels

    def compute_batch(self, batch: Batch, labels: BatchLabels) -> None:
        """The batch's agreement and consensus, its QA sample planned; the consensus and sample writes submitted."""
        with self.step("agreement"):
            agreement = agreement_from_labels(batch, self.controls, labels, self.resamples, self.seed)
        with self.step("aggregation"):
            aggregation, consensus_rows = batch_consensus(batch, labels)
        with self.step("consensus_write"):
            # Made here, so the writer thread waits on the database only, not on this thread for Python's lock.
            copy_text = consensus_copy_text(consensus_rows, timezone.now()) if self.beside else None
        write = self.writer.submit(_timed, store_consensus, batch, consensus_rows, copy_text)
        with self.step("sample"):
            sample, plan = QASample.objects.filter(batch=batch, seed=self.seed).first(), None
            if sample is None:
                plan = self._plan_sample(labels, aggregation)
        # Stored outside the step: the store's own time is added when it is done, wherever it ran.
        if plan is not None:
            stored = self.writer.submit(_timed, store_qa_sample, batch, self.seed, self.user, self.settings, plan)
        else:
            stored = _AtOnce().submit(_timed, lambda drawn=sample: drawn)
        self.pending.append(_Computed(batch, len(labels), agreement, aggregation, write, stored))

    def _plan_sample(self, labels: BatchLabels, aggregation: BatchAggregation) -> Sample:
        annotators = set(np.unique(labels.annotator).tolist())
        self.first_tasks.update(
            first_tasks_by_annotator(
                self.project.pk, annotators - self.first_tasks.keys(), self.settings.first_tasks_in_full
            )
        )
        first = {annotation for annotator in annotators for annotation in self.first_tasks.get(annotator, ())}
        return plan_sample_from_labels(
            seed=self.seed,
            settings=self.settings,
            labels=labels,
            aggregation=aggregation,
            gold_scores=self.gold,
            first=first,
            flags=self.flags,
        )

    def report_stored(self, *, wait: bool) -> None:
        """Report the computed batches whose writes are done, in batch order; with `wait`, all of them."""
        while self.pending and (
            wait or (self.pending[0].consensus_write.done() and self.pending[0].sample_store.done())
        ):
            computed = self.pending.pop(0)
            self.finished("consensus_write", computed.consensus_write)
            sample = self.finished("sample", computed.sample_store)
            result = BatchQuality(
                computed.batch.pk, computed.annotations, computed.agreement, computed.aggregation, sample
            )
            self.results.append(result)
            if self.progress is not None:
                self.progress(result)
