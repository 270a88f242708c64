"""Quality use cases: gold scoring and retirement, agreement, aggregation, QA samples, reviews, batch decisions.

Each function loads what it needs in a few `values_list` queries (never one query per annotation),
hands plain data to the pure modules (comparison, agreement, aggregation, sampling, intervals)
and stores the result. Writes are atomic and name their actor in the audit log. `run_quality`
runs the batch-level use cases over a whole project, loading each batch once.

On PostgreSQL, choice and rating answers are read out of the results by SQL/JSON paths, and the
large writes (consensus rows, QA sample items) go through COPY; other databases take the ORM path.
"""

from __future__ import annotations

import contextvars
import gc
import json
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import cached_property
from itertools import combinations, repeat
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from auditlog.context import auditlog_value, set_actor
from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Count, F
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from psycopg import sql as pg_sql
from threadpoolctl import threadpool_limits

from projects.labeling.label_config import cached_label_config, result_errors
from projects.models import (
    Adjudication,
    Annotation,
    Annotator,
    Batch,
    BatchDecision,
    ErrorCategory,
    GoldRetirement,
    ItemConsensus,
    LabelingProject,
    QASample,
    QASampleItem,
    Review,
    Task,
)
from projects.quality import agreement as stats
from projects.quality import agreement_bootstrap as boot
from projects.quality.aggregation import (
    AnnotatorConfusion,
    CodedRatings,
    DawidSkeneResult,
    ItemLabel,
    ItemLabels,
    dawid_skene_table,
    majority_vote_table,
    sorted_labels,
)
from projects.quality.anomalies import Flag
from projects.quality.batch_labels import NO_ANSWER, BatchLabels, ControlAnswers, LatestAnswers
from projects.quality.comparison import (
    DEFAULT_MAX_RATING,
    Comparison,
    LabelType,
    compare,
    control_answer,
    label_type,
)
from projects.quality.flag_snapshots import current_flags
from projects.quality.intervals import wilson_interval
from projects.quality.sampling import AnnotationColumns, AnnotatorFacts, Sample, SamplingSettings, draw_sample_columns

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

T = TypeVar("T")
ALL_CONTROLS = "all"
# Label types with a score against gold and an agreement statistic; free text is reviewed, not compared.
PASS_KINDS = (LabelType.SINGLE_CHOICE, LabelType.MULTIPLE_CHOICE, LabelType.SPANS, LabelType.RATING)
# Label types with one consensus label per item; spans are compared, not aggregated.
AGGREGATED_TYPES = (LabelType.SINGLE_CHOICE, LabelType.MULTIPLE_CHOICE, LabelType.RATING)
# Below this the consensus label is not more likely than not: a person decides.
ADJUDICATION_CONFIDENCE = 0.5


class QualityRefused(Exception):
    """A quality action that cannot be done as asked; the message says why, for the person who asked."""


class ReviewRefused(QualityRefused):
    pass


class AdjudicationRefused(QualityRefused):
    pass


class DecisionRefused(QualityRefused):
    pass


def _audited(user: AbstractBaseUser | None, work: Callable[[], T]) -> T:
    """Run `work` with `user` as the audit log's actor, inside a request or not (a command, a Celery task).

    In a copied context, so the actor does not outlive the call; a request's address is kept.
    """
    try:
        request_context = auditlog_value.get()
    except LookupError:
        request_context = {}

    def with_actor() -> T:
        with set_actor(
            user, remote_addr=request_context.get("remote_addr"), remote_port=request_context.get("remote_port")
        ):
            return work()

    return contextvars.copy_context().run(with_actor)


# -- loading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    name: str
    kind: LabelType
    options: tuple[str, ...] = ()
    max_rating: int = DEFAULT_MAX_RATING


def project_controls(project: LabelingProject) -> dict[str, Control]:
    """The project's controls that annotate compares, with their label types, in config order."""
    config = cached_label_config(project.label_config)
    max_ratings = {
        element.get("name"): int(element.get("maxRating", DEFAULT_MAX_RATING))
        for element in ElementTree.fromstring(project.label_config).iter("Rating")
    }
    controls = {}
    for name, tag in config.controls.items():
        kind = label_type(tag)
        if kind is not None:
            controls[name] = Control(name, kind, tag.options, max_ratings.get(name, DEFAULT_MAX_RATING))
    return controls


def _answers(result: list[dict], controls: dict[str, Control]) -> dict[str, Hashable]:
    answers = {}
    for control in controls.values():
        answer = control_answer(result, control.name, control.kind)
        if answer is not None:
            answers[control.name] = answer
    return answers


def _batch_labels(batch: Batch, controls: dict[str, Control]) -> BatchLabels:
    """The batch's live annotations (not deleted, not skipped, with an annotator), column-wise in id order."""
    annotations = Annotation.objects.filter(
        task__batch=batch, is_deleted=False, was_cancelled=False, annotator__isnull=False
    ).order_by("id")
    fields = ("id", "task_id", "annotator_id", "lead_time")
    if not _answers_in_sql(controls):
        rows = _with_answers(annotations, fields, controls)
        return BatchLabels.from_rows(((*values, answers) for values, answers in rows), controls)
    # Not `.iterator()`: a server-side cursor would keep PostgreSQL from scanning in parallel; rows are small.
    answers = _answer_expressions(annotations, controls)
    rows = list(annotations.annotate(**answers).values_list(*fields, *answers))
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(fields) + len(controls))]
    return BatchLabels(
        annotation=np.array(columns[0], dtype=np.int64),
        task=np.array(columns[1], dtype=np.int64),
        annotator=np.array(columns[2], dtype=np.int64),
        lead_time=np.array(columns[3], dtype=float),  # None becomes NaN
        answers={name: _coded_answers(texts) for name, texts in zip(controls, columns[len(fields) :], strict=True)},
    )


def _coded_answers(texts: Sequence[str | None]) -> ControlAnswers:
    """Answers sent as JSON text (None: no answer) as codes into the distinct answers, decoding each text once."""
    index: dict[Hashable, int] = {}
    code_of: dict[str | None, int] = {None: NO_ANSWER}
    for text in dict.fromkeys(texts):
        if text is not None:
            code_of[text] = index.setdefault(json.loads(text), len(index))
    codes = np.fromiter(map(code_of.__getitem__, texts), dtype=np.int64, count=len(texts))
    return ControlAnswers(codes, tuple(index))


# Where `comparison.control_answer` finds a control's answer, as SQL/JSON paths ($name: the control's name):
# the first region of the control that has one. PostgreSQL then sends the answers, not the whole results.
ANSWER_PATHS = {
    LabelType.SINGLE_CHOICE: "$[*] ? (@.from_name == $name && exists(@.value.choices[0])).value.choices[0]",
    LabelType.RATING: "$[*] ? (@.from_name == $name && exists(@.value.rating) && @.value.rating != null).value.rating",
}


def _answers_in_sql(controls: dict[str, Control]) -> bool:
    return connection.vendor == "postgresql" and all(control.kind in ANSWER_PATHS for control in controls.values())


def _answer_expressions(queryset, controls: dict[str, Control], json_field: str = "result") -> dict[str, RawSQL]:
    """Per control in order (answer_0, answer_1...): its answer as JSON text, read from `json_field` by PostgreSQL."""
    meta = queryset.model._meta
    column = f'"{meta.db_table}"."{meta.get_field(json_field).column}"'
    return {
        f"answer_{index}": RawSQL(
            f"jsonb_path_query_first({column}, %s::jsonpath, jsonb_build_object('name', %s::text))::text",
            (ANSWER_PATHS[control.kind], name),
        )
        for index, (name, control) in enumerate(controls.items())
    }


def _with_answers(
    rows, fields: tuple[str, ...], controls: dict[str, Control], json_field: str = "result"
) -> Iterator[tuple[tuple, dict[str, Hashable]]]:
    """(the fields' values, control name → answer) per row, answers in `json_field` as `_answers` reads them."""
    if not _answers_in_sql(controls):
        for *values, result in rows.values_list(*fields, json_field).iterator(chunk_size=5000):
            yield tuple(values), _answers(result or [], controls)
        return
    width = len(fields)
    decoded: dict[str, Hashable] = {}  # an answer's JSON text → the answer: few distinct ones
    # Not `.iterator()`: a server-side cursor would keep PostgreSQL from scanning in parallel; rows are small.
    answers = _answer_expressions(rows, controls, json_field)
    for row in rows.annotate(**answers).values_list(*fields, *answers):
        given = {}
        for name, text in zip(controls, row[width:], strict=True):
            if text is not None:
                answer = decoded.get(text)
                if answer is None:
                    answer = decoded[text] = json.loads(text)
                given[name] = answer
        yield row[:width], given


def _gold_answers(tasks, controls: dict[str, Control]) -> dict[int, dict[str, Hashable]]:
    gold = _with_answers(tasks.filter(is_gold=True), ("id",), controls, json_field="gold_answer")
    return {task: answers for (task,), answers in gold}


@dataclass(frozen=True)
class AnnotatorName:
    annotator: int
    username: str
    vendor: int
    vendor_name: str


def annotator_names(annotator_ids: Iterable[int]) -> dict[int, AnnotatorName]:
    rows = Annotator.objects.filter(pk__in=set(annotator_ids)).values_list(
        "id", "user__username", "vendor_id", "vendor__name"
    )
    return {row[0]: AnnotatorName(*row) for row in rows}


def _json_label(label: Hashable) -> object:
    return sorted(label) if isinstance(label, frozenset) else label


def _label_key(label: Hashable) -> str:
    return "|".join(sorted(label)) if isinstance(label, frozenset) else str(label)


# -- gold ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldScore:
    annotator: int
    username: str
    vendor: str
    control: str  # a control name, or "all": every control's judgements pooled
    label_type: str
    seen: int
    correct: int
    accuracy: float | None
    low: float | None  # Wilson 95% interval of the accuracy
    high: float | None
    mean_score: float | None  # partial credit (Jaccard, F1, rating distance) averaged


def score_gold(*, project: LabelingProject, batch: Batch | None = None) -> list[GoldScore]:
    """Each annotator's gold accuracy per control and overall, with Wilson 95% intervals; reads only.

    Over the project's gold tasks, or one batch's. An annotator's latest live annotation of a gold task
    counts; free-text controls are not scored. Rows are ordered by vendor, annotator, then control ("all" first).
    """
    controls = {name: control for name, control in project_controls(project).items() if control.kind in PASS_KINDS}
    tasks = Task.objects.filter(project=project) if batch is None else Task.objects.filter(batch=batch)
    gold = _gold_answers(tasks, controls)
    annotations = Annotation.objects.filter(
        task__project=project, task__is_gold=True, is_deleted=False, was_cancelled=False, annotator__isnull=False
    )
    if batch is not None:
        annotations = annotations.filter(task__batch=batch)
    latest: dict[tuple[int, int], dict[str, Hashable]] = {}
    for (annotator, task), answers in _with_answers(annotations.order_by("id"), ("annotator_id", "task_id"), controls):
        latest[(annotator, task)] = answers
    # (annotator, control) → [seen, correct, score sum]
    tallies: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    compared: dict[tuple[str, Hashable, Hashable], Comparison] = {}  # few distinct answers, many annotations
    for (annotator, task), answers in latest.items():
        for name, expected in gold.get(task, {}).items():
            given = answers.get(name)
            comparison = compared.get((name, expected, given))
            if comparison is None:
                control = controls[name]
                comparison = compare(control.kind, expected, given, max_rating=control.max_rating)
                compared[(name, expected, given)] = comparison
            for key in ((annotator, name), (annotator, ALL_CONTROLS)):
                tallies[key][0] += 1
                tallies[key][1] += comparison.passed
                tallies[key][2] += comparison.score
    names = annotator_names(annotator for annotator, _ in tallies)
    scores = []
    for (annotator, name), (seen, correct, score_sum) in tallies.items():
        interval = wilson_interval(int(correct), int(seen))
        who = names[annotator]
        scores.append(
            GoldScore(
                annotator=annotator,
                username=who.username,
                vendor=who.vendor_name,
                control=name,
                label_type=controls[name].kind.value if name in controls else ALL_CONTROLS,
                seen=int(seen),
                correct=int(correct),
                accuracy=correct / seen if seen else None,
                low=interval[0] if interval else None,
                high=interval[1] if interval else None,
                mean_score=score_sum / seen if seen else None,
            )
        )
    order = {name: index for index, name in enumerate([ALL_CONTROLS, *controls])}
    return sorted(scores, key=lambda score: (score.vendor, score.username, order[score.control]))


@dataclass(frozen=True)
class GoldExposure:
    task: int
    external_id: str
    vendor: int
    vendor_name: str
    annotators: int  # distinct annotators of the vendor who have seen the task
    retired: bool
    over_exposed: bool


def gold_exposure(*, project: LabelingProject) -> list[GoldExposure]:
    """How many annotators of each vendor have seen each gold item (skipped or deleted labels count); reads only.

    A gold item is a gold task; the copies of it mixed into batches (Task.gold_source) count toward it.
    """
    limit = project.gold_max_exposures_per_vendor
    retired = set(GoldRetirement.objects.filter(task__project=project).values_list("task_id", "vendor_id"))
    rows = (
        Annotation.objects.filter(task__project=project, task__is_gold=True, annotator__isnull=False)
        .values(
            item=Coalesce("task__gold_source_id", "task_id"),
            vendor=F("annotator__vendor_id"),
            vendor_name=F("annotator__vendor__name"),
        )
        .annotate(annotators=Count("annotator", distinct=True))
        .order_by("item", "vendor")
    )
    rows = list(rows)
    external_ids = dict(Task.objects.filter(pk__in={row["item"] for row in rows}).values_list("pk", "external_id"))
    return [
        GoldExposure(
            task=row["item"],
            external_id=external_ids[row["item"]],
            vendor=row["vendor"],
            vendor_name=row["vendor_name"],
            annotators=row["annotators"],
            retired=(row["item"], row["vendor"]) in retired,
            over_exposed=row["annotators"] >= limit,
        )
        for row in rows
    ]


def retire_overexposed_gold(*, project: LabelingProject) -> list[GoldExposure]:
    """Retire, per vendor, each gold task seen by the project's maximum of that vendor's annotators.

    Idempotent: a task already retired for a vendor is left as it is. Returns what was retired now.
    """
    retired_now = []
    with transaction.atomic():
        for exposure in gold_exposure(project=project):
            if exposure.over_exposed and not exposure.retired:
                _, created = GoldRetirement.objects.get_or_create(
                    task_id=exposure.task, vendor_id=exposure.vendor, defaults={"exposures": exposure.annotators}
                )
                if created:
                    retired_now.append(exposure)
    return retired_now


def retired_gold_task_ids(*, project: LabelingProject, vendor_id: int) -> set[int]:
    """Gold tasks no longer to be shown to this vendor."""
    return set(
        GoldRetirement.objects.filter(task__project=project, vendor_id=vendor_id).values_list("task_id", flat=True)
    )


# -- agreement ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementFigure:
    scope: str  # "batch", "vendor" or "pair"
    subject: str  # the batch name, the vendor's name, or "alice / bob"
    control: str
    statistic: str
    value: float | None
    items: int
    dropped_items: int
    low: float | None  # bootstrap 95% interval
    high: float | None
    reason: str | None = None


Statistic = tuple[str, Callable[[list], boot.WeightedStatistic]]
# Per label type: (name, the statistic as a function of per-item draw counts). Its value is the statistic
# with every item drawn once: the pure function's value (the tests hold them to it), without a second pass.
MULTI_RATER: dict[LabelType, tuple[Statistic, ...]] = {
    LabelType.SINGLE_CHOICE: (
        ("krippendorff_alpha", boot.krippendorff_alpha_statistic),
        ("fleiss_kappa", boot.fleiss_kappa_statistic),
        ("percent_agreement", boot.percent_agreement_statistic),
    ),
    LabelType.RATING: (
        ("krippendorff_alpha", boot.krippendorff_alpha_statistic),
        ("percent_agreement", boot.percent_agreement_statistic),
    ),
    LabelType.MULTIPLE_CHOICE: (("jaccard", boot.jaccard_statistic),),
    LabelType.SPANS: (("span_f1", boot.span_f1_statistic),),
}
PAIRWISE: dict[LabelType, Statistic] = {
    LabelType.SINGLE_CHOICE: ("cohen_kappa", boot.cohen_kappa_statistic),
    LabelType.RATING: ("cohen_kappa", boot.cohen_kappa_statistic),
    LabelType.MULTIPLE_CHOICE: ("jaccard", boot.jaccard_statistic),
    LabelType.SPANS: ("span_f1", boot.span_f1_statistic),
}


def _figures(
    scope: str, subject: str, control: str, statistics: Iterable[Statistic], items: list, resamples: int, seed: int
) -> list[AgreementFigure]:
    """The statistics over the same items, bootstrapped on one set of draws."""
    kept = [item for item in items if len(item) >= 2]
    return _kept_figures(scope, subject, control, statistics, kept, len(items) - len(kept), resamples, seed)


def _kept_figures(
    scope: str,
    subject: str,
    control: str,
    statistics: Iterable[Statistic],
    kept: list | boot.LabelCounts,
    dropped: int,
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """`_figures` of the items with two ratings or more (lists, or their label counts); `dropped` had fewer."""
    statistics = list(statistics)
    size = len(kept)
    of_counts = [weighted(kept) for _, weighted in statistics] if size else []
    intervals = boot.weighted_bootstraps(size, of_counts, resamples=resamples, seed=seed) if size else []
    figures = []
    for position, (name, _) in enumerate(statistics):
        value = of_counts[position](np.ones(size)) if size else None
        interval = intervals[position] if size else None
        reason = None if value is not None else (stats.NO_OVERLAP if not size else "undefined on these labels")
        figures.append(
            AgreementFigure(
                scope,
                subject,
                control,
                name,
                value,
                size,
                dropped,
                interval.low if interval else None,
                interval.high if interval else None,
                reason,
            )
        )
    return figures


@dataclass(frozen=True)
class BatchAgreement:
    batch: int
    figures: list[AgreementFigure] = field(default_factory=list)

    def by_scope(self, scope: str) -> list[AgreementFigure]:
        return [figure for figure in self.figures if figure.scope == scope]


def compute_agreement(*, batch: Batch, resamples: int = 500, seed: int = 0) -> BatchAgreement:
    """Agreement per control over the batch, per vendor and per annotator pair, with bootstrap 95% CIs; reads only.

    Deterministic for a seed. Free-text controls are left out (reviewed, not compared).
    """
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in PASS_KINDS
    }
    return _compute_agreement(batch, controls, _batch_labels(batch, controls), resamples, seed)


def _compute_agreement(
    batch: Batch, controls: dict[str, Control], labels: BatchLabels, resamples: int, seed: int
) -> BatchAgreement:
    names = annotator_names(np.unique(labels.annotator).tolist())
    figures: list[AgreementFigure] = []
    # The bootstrap multiplies many small matrices: BLAS threads only add their start-up cost to each.
    with threadpool_limits(limits=1, user_api="blas"):
        for name, control in controls.items():
            figures.extend(_control_figures(batch, name, control, labels, names, resamples, seed))
    return BatchAgreement(batch=batch.pk, figures=figures)


def _control_figures(
    batch: Batch,
    name: str,
    control: Control,
    labels: BatchLabels,
    names: dict[int, AnnotatorName],
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """One control's figures: over the batch, per vendor, per annotator pair."""
    annotators = _sorted_by_username(names)
    if control.kind in CODED_KINDS:
        # Answers compared as codes: the batch's label counts and pairs come from arrays, not a dict per task.
        latest = labels.latest(name)
        counts, dropped = latest.rated_counts()
        statistics = MULTI_RATER[control.kind]
        figures = _kept_figures(
            "batch", batch.name, name, statistics, boot.LabelCounts(counts), dropped, resamples, seed
        )
        pair_figures = _coded_pair_figures(name, control, latest, annotators, names, resamples, seed)
    else:
        by_item = _latest_labels(labels, control)
        items = [list(by_annotator.values()) for by_annotator in by_item.values()]
        figures = _figures("batch", batch.name, name, MULTI_RATER[control.kind], items, resamples, seed)
        pair_figures = _pair_figures(name, control, by_item, annotators, names, resamples, seed)
    vendors = sorted({who.vendor_name for who in names.values()})
    primary = MULTI_RATER[control.kind][0]
    if len(vendors) == 1:
        # One vendor labeled the whole batch: its figure is the batch's.
        return [*figures, replace(figures[0], scope="vendor", subject=vendors[0]), *pair_figures]
    if control.kind in CODED_KINDS:
        by_item = latest.by_item(labels.answers[name].values)
    for vendor in vendors:
        within = [
            [label for annotator, label in by_annotator.items() if names[annotator].vendor_name == vendor]
            for by_annotator in by_item.values()
        ]
        figures.extend(_figures("vendor", vendor, name, [primary], within, resamples, seed))
    return [*figures, *pair_figures]


def _latest_labels(labels: BatchLabels, control: Control) -> dict[int, dict[int, Hashable]]:
    """Task → annotator → their latest label on the control, as `agreement.latest_ratings` gives it."""
    answers = labels.answers[control.name]
    if control.kind is not LabelType.SPANS:
        return labels.latest(control.name).by_item(answers.values)
    # Marking no span is an answer too ("nothing to mark"); a missing choice or rating is not.
    given = [frozenset() if code == NO_ANSWER else answers.values[code] for code in answers.codes.tolist()]
    ratings = zip(labels.task.tolist(), labels.annotator.tolist(), given, strict=True)
    return stats.latest_ratings(ratings)


def _sorted_by_username(names: dict[int, AnnotatorName]) -> list[int]:
    return sorted(names, key=lambda annotator: names[annotator].username)


# Label types whose answers the agreement compares as codes (equal or not), with Cohen's kappa per pair
# bootstrapped for all pairs of a batch at once.
CODED_KINDS = (LabelType.SINGLE_CHOICE, LabelType.RATING)


def _pair_figures(
    name: str,
    control: Control,
    by_item: dict[Hashable, dict[Hashable, Hashable]],
    annotators: list[int],
    names: dict[int, AnnotatorName],
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """One figure per annotator pair with items in common, pairs in the order of `annotators`; for
    multiple choices and spans (see `_coded_pair_figures` for the others)."""
    rank = {annotator: position for position, annotator in enumerate(annotators)}
    labels_by_pair: dict[tuple[int, int], list[tuple[Hashable, Hashable]]] = defaultdict(list)
    for by_annotator in by_item.values():
        if len(by_annotator) >= 2:
            for first, second in combinations(sorted(by_annotator, key=rank.__getitem__), 2):
                labels_by_pair[(first, second)].append((by_annotator[first], by_annotator[second]))
    pairs = [pair for pair in combinations(annotators, 2) if pair in labels_by_pair]
    statistic = PAIRWISE[control.kind]
    return [
        figure
        for first, second in pairs
        for figure in _figures(
            "pair",
            f"{names[first].username} / {names[second].username}",
            name,
            [statistic],
            labels_by_pair[(first, second)],
            resamples,
            seed,
        )
    ]


def _coded_pair_figures(
    name: str,
    control: Control,
    latest: LatestAnswers,
    annotators: list[int],
    names: dict[int, AnnotatorName],
    resamples: int,
    seed: int,
) -> list[AgreementFigure]:
    """Cohen's kappa per annotator pair with items in common, pairs in the order of `annotators`."""
    position = {annotator: rank for rank, annotator in enumerate(annotators)}
    rank = np.array([position[annotator] for annotator in latest.annotator.tolist()], dtype=np.int64)
    first, second, first_codes, second_codes = latest.pairs(rank)
    starts = np.flatnonzero(np.r_[True, (first[1:] != first[:-1]) | (second[1:] != second[:-1])])[: len(first)]
    ends = np.r_[starts[1:], len(first)][: len(starts)]
    results = boot.cohen_kappa_bootstrap_codes(
        [first_codes[start:end] for start, end in zip(starts, ends, strict=True)],
        [second_codes[start:end] for start, end in zip(starts, ends, strict=True)],
        resamples=resamples,
        seed=seed,
    )
    return [
        AgreementFigure(
            "pair",
            f"{names[annotators[first[start]]].username} / {names[annotators[second[start]]].username}",
            name,
            PAIRWISE[control.kind][0],
            value,
            int(end - start),
            0,
            interval.low,
            interval.high,
            None if value is not None else "undefined on these labels",
        )
        for start, end, (value, interval) in zip(starts.tolist(), ends.tolist(), results, strict=True)
    ]


# -- aggregation --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlAggregation:
    control: str
    method: str  # the method for items without gold or adjudication: "dawid_skene" or "majority"
    majority_table: ItemLabels
    dawid_skene: DawidSkeneResult | None
    confusions: dict[int, AnnotatorConfusion]  # annotator → confusion matrix against the consensus

    @property
    def consensus_table(self) -> ItemLabels:
        """Per task, the label the consensus rests on (before gold and adjudication), column-wise."""
        return self.dawid_skene.table if self.dawid_skene is not None else self.majority_table

    @cached_property
    def majority(self) -> list[ItemLabel]:
        return self.majority_table.item_labels()

    @cached_property
    def consensus(self) -> dict[int, ItemLabel]:
        """Task → the label the consensus rests on (before gold and adjudication)."""
        items = self.dawid_skene.items if self.dawid_skene is not None else self.majority
        return {item.item: item for item in items}


@dataclass(frozen=True)
class BatchAggregation:
    batch: int
    controls: dict[str, ControlAggregation]
    needs_adjudication: int = 0
    consensus_rows: int = 0


def _empirical_confusion(annotator: int, ratings: list[stats.Rating], truth: dict[int, Hashable]) -> AnnotatorConfusion:
    labels = tuple(sorted({label for _, _, label in ratings if label is not None} | set(truth.values()), key=str))
    index = {label: position for position, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)))
    for task, who, label in ratings:
        if who == annotator and label is not None and task in truth:
            counts[index[truth[task]], index[label]] += 1
    totals = counts.sum(axis=1, keepdims=True)
    matrix = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return AnnotatorConfusion(annotator, labels, matrix)


def _aggregate_control(labels: BatchLabels, name: str, gold: dict[int, Hashable]) -> ControlAggregation:
    answers = labels.answers[name]
    latest = labels.latest(name)
    # Items in first-seen order, as `agreement.latest_ratings` lists them, each with one rating at least.
    items = latest.item_index()
    item_ids = latest.task[np.flatnonzero(np.r_[True, items[1:] != items[:-1]])[: len(items)]].tolist()
    gold = {task: label for task, label in gold.items() if label is not None}
    rated_gold = [gold[task] for task in item_ids if task in gold]
    values = sorted_labels({*(answers.values[code] for code in np.unique(latest.codes).tolist()), *rated_gold})
    position = {label: index for index, label in enumerate(values)}
    # Answer code → label position; answers that only earlier, replaced annotations gave have none (-1).
    label_of = np.array([position.get(value, -1) for value in answers.values], dtype=np.int64)
    annotator_ids, annotator_codes = np.unique(latest.annotator, return_inverse=True)
    ratings = CodedRatings(
        item_ids=item_ids,
        annotator_ids=annotator_ids.tolist(),
        label_values=values,
        items=items.astype(np.int64),
        annotators=annotator_codes.astype(np.int64),
        labels=label_of[latest.codes],
    )
    majority = majority_vote_table(ratings)
    overlapping = len(item_ids) < len(latest.task)
    if len(annotator_ids) >= 2 and overlapping:
        gold_codes = np.array([position[gold[task]] if task in gold else -1 for task in item_ids], dtype=np.int64)
        result = dawid_skene_table(ratings, gold_codes)
        return ControlAggregation(name, ItemConsensus.Method.DAWID_SKENE, majority, result, dict(result.confusions))
    winners, _ = majority.winners()
    truth = {task: values[code] for task, code in zip(item_ids, winners.tolist(), strict=True) if code >= 0}
    given = [None if code == NO_ANSWER else answers.values[code] for code in answers.codes.tolist()]
    every_rating = list(zip(labels.task.tolist(), labels.annotator.tolist(), given, strict=True))
    confusions = {
        annotator: _empirical_confusion(annotator, every_rating, truth) for annotator in annotator_ids.tolist()
    }
    return ControlAggregation(name, ItemConsensus.Method.MAJORITY, majority, None, confusions)


@dataclass(frozen=True)
class ConsensusRows:
    """What `aggregate_batch` stores for one control, column-wise: an ItemConsensus row per task, in task order."""

    control_name: str
    task: list[int]
    method: list[str]
    label: list[str]  # JSON text
    confidence: list[float]
    probabilities: list[str]  # JSON text
    ratings: list[int]
    needs_adjudication: list[bool]

    def __len__(self) -> int:
        return len(self.task)


def _consensus_rows(
    name: str, aggregation: ControlAggregation, gold: dict[int, Hashable], adjudicated: dict[int, object]
) -> ConsensusRows:
    table = aggregation.consensus_table
    item_ids = np.asarray(table.item_ids, dtype=np.int64)
    tasks = np.union1d(item_ids, np.fromiter(adjudicated, dtype=np.int64, count=len(adjudicated)))
    by_id = np.argsort(item_ids)
    found = np.searchsorted(item_ids[by_id], tasks)
    found = np.where(found < len(item_ids), found, 0)
    in_table = (item_ids[by_id][found] == tasks) if len(item_ids) else np.zeros(len(tasks), dtype=bool)
    item = np.where(in_table, by_id[found] if len(item_ids) else 0, -1)
    codes, top = table.winners()
    codes, top = np.append(codes, -1)[item], np.append(top, 0.0)[item]  # -1: an item no one rated
    ratings = np.append(table.ratings, 0)[item].tolist()
    probabilities = _probabilities_json(table, item)
    label_json = [json.dumps(_json_label(label)) for label in table.labels]
    methods, labels, confidences, needs = [], [], [], []
    for task, code, confidence in zip(tasks.tolist(), codes.tolist(), top.tolist(), strict=True):
        if task in adjudicated:
            methods.append(ItemConsensus.Method.ADJUDICATION.value)
            labels.append(json.dumps(adjudicated[task]))
            confidences.append(1.0)
            needs.append(False)
        elif task in gold:
            methods.append(ItemConsensus.Method.GOLD.value)
            labels.append(json.dumps(_json_label(gold[task])))
            confidences.append(1.0)
            needs.append(False)
        else:
            methods.append(str(aggregation.method))
            labels.append("null" if code < 0 else label_json[code])
            confidences.append(min(1.0, max(0.0, confidence)))
            needs.append(code < 0 or confidence < ADJUDICATION_CONFIDENCE)
    return ConsensusRows(name, tasks.tolist(), methods, labels, confidences, probabilities, ratings, needs)


def _probabilities_json(table: ItemLabels, item: np.ndarray) -> list[str]:
    """Each row's label → probability as JSON text; `item` is the row's item in the table, -1 for none."""
    keys = [json.dumps(_label_key(label)) for label in table.labels]
    rows = table.probabilities.tolist()
    if table.voted_only:
        return [
            "{}"
            if position < 0
            else "{" + ", ".join(f"{key}: {p!r}" for key, p in zip(keys, rows[position], strict=True) if p > 0) + "}"
            for position in item.tolist()
        ]
    # Every label on every item: the texts put together column by column, by joins rather than a format per item.
    pieces: list[Iterable[str]] = []
    for index, key in enumerate(keys):
        values = map(repr, table.probabilities[:, index].tolist())
        pieces += [repeat(("{" if index == 0 else ", ") + key + ": "), values]
    # strict=False: the repeated pieces are endless, the values as long as the table.
    texts = list(map("".join, zip(*pieces, repeat("}"), strict=False))) if keys else ["{}"] * len(rows)
    return ["{}" if position < 0 else texts[position] for position in item.tolist()]


def _aggregate(batch: Batch, labels: BatchLabels | None = None) -> tuple[BatchAggregation, list[ConsensusRows]]:
    """The batch's consensus; `labels` are its live annotations when the caller has loaded them already."""
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in AGGREGATED_TYPES
    }
    if labels is None:
        labels = _batch_labels(batch, controls)
    gold = _gold_answers(Task.objects.filter(batch=batch), controls)
    adjudicated: dict[str, dict[int, object]] = defaultdict(dict)
    for task, control_name, label in (
        Adjudication.objects.filter(task__batch=batch)
        .order_by("created_at", "id")
        .values_list("task_id", "control_name", "label")
    ):
        adjudicated[control_name][task] = label
    results: dict[str, ControlAggregation] = {}
    consensus_rows: list[ConsensusRows] = []
    for name in controls:
        control_gold = {task: answers[name] for task, answers in gold.items() if name in answers}
        results[name] = _aggregate_control(labels, name, control_gold)
        consensus_rows.append(_consensus_rows(name, results[name], control_gold, adjudicated[name]))
    summary = BatchAggregation(
        batch=batch.pk,
        controls=results,
        needs_adjudication=sum(sum(rows.needs_adjudication) for rows in consensus_rows),
        consensus_rows=sum(len(rows) for rows in consensus_rows),
    )
    return summary, consensus_rows


def preview_aggregation(*, batch: Batch) -> BatchAggregation:
    """What `aggregate_batch` would compute for the batch, without storing it; reads only."""
    return _aggregate(batch)[0]


def aggregate_batch(*, batch: Batch) -> BatchAggregation:
    """One consensus label per task and control of the batch, stored as ItemConsensus; idempotent and atomic.

    Gold tasks take their gold answer, adjudicated items their latest adjudication; the rest Dawid-Skene
    (gold held fixed) when annotators overlap, else majority vote. A tie, or a label less likely than not,
    marks the item for adjudication. Returns per control the majority vote, Dawid-Skene result and a
    confusion matrix per annotator.
    """
    summary, consensus_rows = _aggregate(batch)
    _store_consensus(batch, consensus_rows)
    return summary


CONSENSUS_FIELDS = ("method", "label", "confidence", "probabilities", "ratings", "needs_adjudication", "computed_at")


def _store_consensus(batch: Batch, consensus_rows: list[ConsensusRows], copy_text: str | None = None) -> None:
    """Store the batch's consensus rows; `copy_text` is them in COPY's text format, when the caller made it."""
    now = timezone.now()
    with transaction.atomic():
        stored = list(ItemConsensus.objects.filter(task__batch=batch).values_list("id", "task_id", "control_name"))
        if stored:
            keep = {(task, rows.control_name) for rows in consensus_rows for task in rows.task}
            stale = [pk for pk, task, control_name in stored if (task, control_name) not in keep]
            ItemConsensus.objects.filter(pk__in=stale).delete()
        if connection.vendor == "postgresql":
            copy_text = _consensus_copy_text(consensus_rows, now) if copy_text is None else copy_text
            _upsert_consensus_by_copy(copy_text, first_time=not stored)
            return
        ItemConsensus.objects.bulk_create(
            [
                ItemConsensus(
                    task_id=task,
                    control_name=rows.control_name,
                    method=method,
                    label=json.loads(label),
                    confidence=confidence,
                    probabilities=json.loads(probabilities),
                    ratings=ratings,
                    needs_adjudication=needs,
                    computed_at=now,
                )
                for rows in consensus_rows
                for task, method, label, confidence, probabilities, ratings, needs in zip(
                    rows.task,
                    rows.method,
                    rows.label,
                    rows.confidence,
                    rows.probabilities,
                    rows.ratings,
                    rows.needs_adjudication,
                    strict=True,
                )
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["task", "control_name"],
            update_fields=list(CONSENSUS_FIELDS),
        )


def _copy_text(value: str) -> str:
    """A text field as COPY's text format reads it: backslash is its escape character (JSON escapes the rest)."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _consensus_copy_text(consensus_rows: list[ConsensusRows], now: datetime) -> str:
    """The rows in COPY's text format, columns as CONSENSUS_COLUMNS: joined column by column, not formatted per row."""
    moment = now.isoformat()
    flag = {True: "t", False: "f"}
    lines: list[str] = []
    for rows in consensus_rows:
        labels = {label: _copy_text(label) for label in set(rows.label)}  # few distinct labels
        probabilities = rows.probabilities
        if any("\\" in text for text in probabilities):  # only JSON escapes need escaping, all else is plain
            probabilities = [_copy_text(text) for text in probabilities]
        columns = (
            map(str, rows.task),
            repeat(_copy_text(rows.control_name)),
            rows.method,
            map(labels.__getitem__, rows.label),
            map(repr, rows.confidence),
            probabilities,
            map(str, rows.ratings),
            map(flag.__getitem__, rows.needs_adjudication),
            repeat(moment),
        )
        lines += map("\t".join, zip(*columns, strict=False))  # strict=False: the repeated columns are endless
    return "\n".join(lines) + "\n" if lines else ""


def _copy_rows(cursor, table: str, columns: list[str], rows: Iterable[tuple] | str) -> None:
    """Write rows into a PostgreSQL table with COPY: tuples, or text already in COPY's text format."""
    statement = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(
        pg_sql.Identifier(table), pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        if isinstance(rows, str):
            copy.write(rows)
            return
        for row in rows:
            copy.write_row(row)


def _upsert_consensus_by_copy(text: str, *, first_time: bool) -> None:
    """`bulk_create(update_conflicts=True)` of consensus rows (COPY text) with COPY.

    The batch's first consensus goes straight into the table; otherwise, or when a concurrent writer got
    there first, through a temporary table and INSERT ... ON CONFLICT DO UPDATE.
    """
    meta = ItemConsensus._meta
    fields = ("task", "control_name", *CONSENSUS_FIELDS)
    columns = [meta.get_field(name).column for name in fields]
    table, staging = pg_sql.Identifier(meta.db_table), pg_sql.Identifier("annotate_consensus_staging")
    column_list = pg_sql.SQL(", ").join(map(pg_sql.Identifier, columns))
    if first_time:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _copy_rows(cursor.cursor, meta.db_table, columns, text)
            return
        except IntegrityError:
            pass
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            pg_sql.SQL("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                staging, column_list, table
            )
        )
        _copy_rows(raw, "annotate_consensus_staging", columns, text)
        updates = pg_sql.SQL(", ").join(
            pg_sql.SQL("{0} = EXCLUDED.{0}").format(pg_sql.Identifier(meta.get_field(name).column))
            for name in CONSENSUS_FIELDS
        )
        raw.execute(
            pg_sql.SQL(
                "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
                "ON CONFLICT ({task}, {control}) DO UPDATE SET {updates}"
            ).format(
                table=table,
                columns=column_list,
                staging=staging,
                task=pg_sql.Identifier(columns[0]),
                control=pg_sql.Identifier(columns[1]),
                updates=updates,
            )
        )
        raw.execute(pg_sql.SQL("DROP TABLE {}").format(staging))


def consensus_agreement(aggregation: BatchAggregation, labels: BatchLabels) -> dict[int, tuple[int, int]]:
    """Per annotator: (labels equal to the consensus label, labels on items with a consensus label)."""
    annotators, who = np.unique(labels.annotator, return_inverse=True)
    agreed = np.zeros(len(annotators), dtype=np.int64)
    total = np.zeros(len(annotators), dtype=np.int64)
    for name, control in aggregation.controls.items():
        table = control.consensus_table
        if not len(table.item_ids):
            continue
        answers = labels.answers[name]
        # Each answer as a position in the table's labels (-2: a label the consensus never weighed, never equal).
        position = {label: index for index, label in enumerate(table.labels)}
        answer_position = np.array([position.get(value, -2) for value in answers.values] + [-2], dtype=np.int64)
        item_ids = np.asarray(table.item_ids, dtype=np.int64)
        by_id = np.argsort(item_ids)
        found = np.minimum(np.searchsorted(item_ids[by_id], labels.task), len(item_ids) - 1)
        winners, _ = table.winners()
        consensus = np.where(item_ids[by_id][found] == labels.task, winners[by_id[found]], -1)
        counted = (answers.codes != NO_ANSWER) & (consensus >= 0)
        total += np.bincount(who[counted], minlength=len(annotators))
        same = counted & (answer_position[answers.codes] == consensus)
        agreed += np.bincount(who[same], minlength=len(annotators))
    return {int(annotators[index]): (int(agreed[index]), int(total[index])) for index in np.flatnonzero(total).tolist()}


def annotator_consensus_agreement(*, batch: Batch) -> dict[int, float]:
    """Per annotator of the batch: the share of their choice and rating labels equal to the consensus; reads only."""
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in AGGREGATED_TYPES
    }
    labels = _batch_labels(batch, controls)
    tallies = consensus_agreement(_aggregate(batch, labels)[0], labels)
    return {annotator: agreed / total for annotator, (agreed, total) in tallies.items() if total}


# -- QA sampling --------------------------------------------------------------------------------------


def sampling_settings(project: LabelingProject) -> SamplingSettings:
    return SamplingSettings(
        rate=float(project.qa_sample_rate),
        min_per_annotator=project.qa_min_per_annotator,
        first_tasks_in_full=project.qa_first_tasks_in_full,
    )


def _first_task_annotations(batch: Batch, annotators: set[int], first: int) -> set[int]:
    """Annotations among each annotator's first `first` tasks in the project (by creation)."""
    by_annotator = _first_tasks_by_annotator(batch.project_id, annotators, first)
    return {annotation for annotations in by_annotator.values() for annotation in annotations}


def _first_tasks_by_annotator(project_id: int, annotators: Iterable[int], first: int) -> dict[int, list[int]]:
    # One query per annotator, each a short walk of the (annotator, created_at) index: ranking every
    # annotation of the annotators in one window query sorts their whole history instead.
    if first <= 0:
        return {}
    return {
        annotator: list(
            Annotation.objects.filter(
                task__project_id=project_id, annotator=annotator, is_deleted=False, was_cancelled=False
            )
            .order_by("created_at", "id")
            .values_list("id", flat=True)[:first]
        )
        for annotator in sorted(annotators)
    }


def plan_qa_sample(*, batch: Batch, seed: int, settings: SamplingSettings | None = None) -> Sample:
    """The sample `draw_qa_sample` would draw for this batch and seed, with each annotator's weights.

    Reads only, but for the project's anomaly-flag snapshot, refreshed when it is missing or stale.
    """
    settings = settings or sampling_settings(batch.project)
    controls = {
        name: control for name, control in project_controls(batch.project).items() if control.kind in AGGREGATED_TYPES
    }
    labels = _batch_labels(batch, controls)
    annotators = set(np.unique(labels.annotator).tolist())
    return _plan_qa_sample(
        seed=seed,
        settings=settings,
        labels=labels,
        aggregation=_aggregate(batch, labels)[0],
        gold_scores=score_gold(project=batch.project),
        first=_first_task_annotations(batch, annotators, settings.first_tasks_in_full),
        flags=_flags_by_annotator(batch.project),
    )


def _flags_by_annotator(project: LabelingProject) -> dict[int, list[Flag]]:
    """The project's anomaly flags per flagged annotator, as the dashboard shows them (its current snapshot)."""
    _, flagged = current_flags(project=project, now=timezone.now())
    return {annotator.pk: flags for annotator, flags in flagged}


def _plan_qa_sample(
    *,
    seed: int,
    settings: SamplingSettings,
    labels: BatchLabels,
    aggregation: BatchAggregation,
    gold_scores: list[GoldScore],
    first: set[int],
    flags: dict[int, list[Flag]],
) -> Sample:
    agreement = consensus_agreement(aggregation, labels)
    gold = {score.annotator: score for score in gold_scores if score.control == ALL_CONTROLS}
    annotator_facts = [
        AnnotatorFacts(
            annotator=annotator,
            gold_accuracy=gold[annotator].accuracy if annotator in gold else None,
            gold_seen=gold[annotator].seen if annotator in gold else 0,
            consensus_agreement=(agreement[annotator][0] / agreement[annotator][1])
            if agreement.get(annotator, (0, 0))[1]
            else None,
            agreement_items=agreement.get(annotator, (0, 0))[1],
            flags=tuple(flags.get(annotator, ())),
        )
        for annotator in np.unique(labels.annotator).tolist()
    ]
    annotations = AnnotationColumns(
        annotation=labels.annotation,
        annotator=labels.annotator,
        lead_time=labels.lead_time,
        is_first_task=np.isin(labels.annotation, np.fromiter(first, dtype=np.int64, count=len(first))),
    )
    return draw_sample_columns(annotations, annotator_facts, settings, seed)


def draw_qa_sample(*, batch: Batch, seed: int, user: AbstractBaseUser | None) -> QASample:
    """Draw and store the batch's QA sample; idempotent: the same batch and seed return the sample drawn first.

    Each item records why it was drawn (first tasks, per-annotator minimum, base rate) and its risk signals,
    among them the annotator's anomaly flags as the dashboard shows them.
    Atomic; safe when two people draw the same seed at once.
    """
    existing = QASample.objects.filter(batch=batch, seed=seed).first()
    if existing:
        return existing
    settings = sampling_settings(batch.project)
    return _store_sample(batch, seed, user, settings, plan_qa_sample(batch=batch, seed=seed, settings=settings))


def _store_sample(
    batch: Batch, seed: int, user: AbstractBaseUser | None, settings: SamplingSettings, plan: Sample
) -> QASample:
    pending = QASampleItem.Status.PENDING.value

    def store() -> QASample:
        with transaction.atomic():
            sample = QASample.objects.create(
                batch=batch, seed=seed, drawn_by=user, settings={**asdict(settings), "target": plan.target}
            )
            if connection.vendor == "postgresql":
                meta = QASampleItem._meta
                fields = ("sample", "annotation", "reasons", "weight", "status")
                reasons: dict[tuple[str, ...], str] = {}  # few distinct ones
                for item in plan.items:
                    if item.reasons not in reasons:
                        reasons[item.reasons] = _copy_text(json.dumps(list(item.reasons)))
                text = "".join(
                    f"{sample.pk}\t{item.annotation}\t{reasons[item.reasons]}\t{item.weight!r}\t{pending}\n"
                    for item in plan.items
                )
                with connection.cursor() as cursor:
                    _copy_rows(cursor.cursor, meta.db_table, [meta.get_field(name).column for name in fields], text)
            else:
                QASampleItem.objects.bulk_create(
                    [
                        QASampleItem(
                            sample=sample, annotation_id=item.annotation, reasons=list(item.reasons), weight=item.weight
                        )
                        for item in plan.items
                    ],
                    batch_size=1000,
                )
        return sample

    try:
        return _audited(user, store)
    except IntegrityError:
        return QASample.objects.get(batch=batch, seed=seed)


# -- the whole project --------------------------------------------------------------------------------

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


def run_quality(
    *,
    project: LabelingProject,
    seed: int = 0,
    resamples: int = 500,
    user: AbstractBaseUser | None = None,
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
        flags = _flags_by_annotator(project)
    batches = list(Batch.objects.filter(project=project).select_related("project").order_by("id"))
    beside = connection.vendor == "postgresql" and not connection.in_atomic_block
    reader, writer = (_Beside(), _Beside()) if beside else (_AtOnce(), _AtOnce())
    results: list[BatchQuality] = []
    # Batches computed, not yet reported: their results, and their consensus and sample writes, in batch order.
    pending: list[tuple[Batch, int, BatchAgreement, BatchAggregation, Future, Future]] = []
    first_tasks: dict[int, list[int]] = {}  # annotator → their first tasks' annotations, shared by the batches
    try:
        loads = [reader.submit(_timed, _batch_labels, batches[0], controls)] if batches else []
        for position, batch in enumerate(batches):
            labels = finished("load", loads[position])
            if position + 1 < len(batches):
                loads.append(reader.submit(_timed, _batch_labels, batches[position + 1], controls))
            loads[position] = None  # the batch's labels go when the batch is done
            with step("agreement"):
                agreement = _compute_agreement(batch, controls, labels, resamples, seed)
            with step("aggregation"):
                aggregation, consensus_rows = _aggregate(batch, labels)
            with step("consensus_write"):
                # Made here, so the writer thread waits on the database only, not on this thread for Python's lock.
                copy_text = _consensus_copy_text(consensus_rows, timezone.now()) if beside else None
            write = writer.submit(_timed, _store_consensus, batch, consensus_rows, copy_text)
            with step("sample"):
                sample, plan = QASample.objects.filter(batch=batch, seed=seed).first(), None
                if sample is None:
                    annotators = set(np.unique(labels.annotator).tolist())
                    first_tasks.update(
                        _first_tasks_by_annotator(
                            project.pk, annotators - first_tasks.keys(), settings.first_tasks_in_full
                        )
                    )
                    first = {annotation for annotator in annotators for annotation in first_tasks.get(annotator, ())}
                    plan = _plan_qa_sample(
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
                stored = writer.submit(_timed, _store_sample, batch, seed, user, settings, plan)
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


# -- reviews, adjudication, decisions -----------------------------------------------------------------


def record_review(
    *,
    annotation: Annotation,
    reviewer: AbstractBaseUser,
    verdict: str,
    error_category: ErrorCategory | None = None,
    severity: str | None = None,
    comment: str = "",
    corrected_result: list[dict] | None = None,
    sample_item: QASampleItem | None = None,
) -> Review:
    """Record a reviewer's verdict on an annotation and mark its QA sample item reviewed; atomic.

    A rejection needs an active error category of the annotation's project and a severity; a correction
    needs a corrected result valid under the project's label config. Nobody reviews their own annotation.
    A later review of the same annotation supersedes the earlier one in the batch decision.
    """
    project = annotation.task.project
    if annotation.annotator_id and annotation.annotator.user_id == reviewer.pk:
        raise ReviewRefused("Reviewers cannot review their own annotations.")
    if error_category is not None and (error_category.project_id != project.pk or not error_category.active):
        raise ReviewRefused(f'"{error_category}" is not an active error category of {project}.')
    if verdict == Review.Verdict.CORRECT and corrected_result is not None:
        problems = result_errors(cached_label_config(project.label_config), corrected_result)
        if problems:
            raise ReviewRefused("The corrected label does not fit the label config: " + "; ".join(problems))
    if sample_item is None:
        sample_item = (
            QASampleItem.objects.filter(annotation=annotation, status=QASampleItem.Status.PENDING)
            .order_by("-sample__drawn_at", "-id")
            .first()
        )
    elif sample_item.annotation_id != annotation.pk:
        raise ReviewRefused("The QA sample item is about another annotation.")
    review = Review(
        annotation=annotation,
        sample_item=sample_item,
        reviewer=reviewer,
        verdict=verdict,
        error_category=error_category,
        severity=severity or None,
        comment=comment,
        corrected_result=corrected_result,
    )
    try:
        review.full_clean()
    except ValidationError as error:
        raise ReviewRefused(
            " ".join(message for messages in error.message_dict.values() for message in messages)
        ) from error

    def store() -> Review:
        with transaction.atomic():
            review.save()
            if sample_item is not None and sample_item.status != QASampleItem.Status.REVIEWED:
                sample_item.status = QASampleItem.Status.REVIEWED
                sample_item.save(update_fields=["status"])
        return review

    return _audited(reviewer, store)


def adjudicate(
    *, task: Task, control_name: str, label: object, adjudicator: AbstractBaseUser, comment: str = ""
) -> Adjudication:
    """Settle one control of a task: store the adjudication and make it the item's consensus; atomic.

    The label must be one the control allows (a choice, a set of choices, a rating on the scale).
    """
    control = project_controls(task.project).get(control_name)
    if control is None or control.kind not in AGGREGATED_TYPES:
        raise AdjudicationRefused(f'"{control_name}" is not a choice or rating control of {task.project}.')
    chosen = label if isinstance(label, list) else [label]
    if control.kind is LabelType.SINGLE_CHOICE and (len(chosen) != 1 or chosen[0] not in control.options):
        raise AdjudicationRefused(f"{control_name} takes one of {', '.join(control.options)}, not {label!r}.")
    if control.kind is LabelType.MULTIPLE_CHOICE and not set(chosen) <= set(control.options):
        raise AdjudicationRefused(f"{control_name} takes choices among {', '.join(control.options)}, not {label!r}.")
    if control.kind is LabelType.RATING and not (
        isinstance(label, int | float) and not isinstance(label, bool) and 1 <= label <= control.max_rating
    ):
        raise AdjudicationRefused(f"{control_name} takes a rating from 1 to {control.max_rating}, not {label!r}.")
    stored_label = sorted(chosen) if control.kind is LabelType.MULTIPLE_CHOICE else label
    if control.kind is LabelType.SINGLE_CHOICE:
        stored_label = chosen[0]

    def store() -> Adjudication:
        with transaction.atomic():
            adjudication = Adjudication.objects.create(
                task=task, control_name=control_name, label=stored_label, adjudicator=adjudicator, comment=comment
            )
            ItemConsensus.objects.update_or_create(
                task=task,
                control_name=control_name,
                defaults={
                    "method": ItemConsensus.Method.ADJUDICATION,
                    "label": stored_label,
                    "confidence": 1.0,
                    "needs_adjudication": False,
                },
            )
        return adjudication

    return _audited(adjudicator, store)


def decide_batch(*, batch: Batch, user: AbstractBaseUser, sample: QASample | None = None) -> BatchDecision:
    """Accept or reject the batch from its QA sample's verdicts; atomic, a new decision on every call.

    Errors are items whose latest review rejected or corrected them. The batch is accepted when the
    Wilson 95% upper bound of the error rate is below the project's acceptable quality level, and its
    status becomes accepted or rejected. Refused while the sample has unreviewed items.
    """
    sample = sample or QASample.objects.filter(batch=batch).order_by("-drawn_at", "-id").first()
    if sample is None or sample.batch_id != batch.pk:
        raise DecisionRefused(f"{batch} has no QA sample yet: draw one first.")
    items = dict(sample.items.values_list("id", "status"))
    if not items:
        raise DecisionRefused(f"The QA sample of {batch} is empty: there is nothing to decide from.")
    pending = sum(status == QASampleItem.Status.PENDING for status in items.values())
    if pending:
        raise DecisionRefused(f"{pending} of {len(items)} sampled annotations of {batch} are not reviewed yet.")
    latest: dict[int, str] = {}
    for item, verdict in (
        Review.objects.filter(sample_item__sample=sample)
        .order_by("created_at", "id")
        .values_list("sample_item_id", "verdict")
    ):
        latest[item] = verdict
    errors = sum(verdict in (Review.Verdict.REJECT, Review.Verdict.CORRECT) for verdict in latest.values())
    size = len(items)
    _, upper = wilson_interval(errors, size)
    aql = batch.project.acceptable_quality_level
    accepted = upper < float(aql)

    def store() -> BatchDecision:
        with transaction.atomic():
            locked = Batch.objects.select_for_update().get(pk=batch.pk)
            decision = BatchDecision.objects.create(
                batch=locked,
                sample=sample,
                decided_by=user,
                sample_size=size,
                errors=errors,
                error_rate=errors / size,
                upper_bound=upper,
                aql=aql,
                accepted=accepted,
            )
            locked.status = Batch.Status.ACCEPTED if accepted else Batch.Status.REJECTED
            locked.save(update_fields=["status"])
            batch.status = locked.status
        return decision

    return _audited(user, store)


def truth_accuracy(items: Iterable[ItemLabel], truth: dict[int, Hashable]) -> tuple[int, int]:
    """(right, total) of aggregated labels against known true labels; a tie (no label) counts as wrong."""
    right = total = 0
    for item in items:
        if item.item in truth and not item.is_gold:
            total += 1
            right += item.label == truth[item.item]
    return right, total
