"""Building gold dataset versions: one consolidated label per task, hashed, split, frozen.

The label of each control of a task comes from the first of these that gives one:
1. a QA correction (the latest review with verdict "correct" on one of the task's annotations);
2. an adjudication (the latest for the task and control);
3. the item's consensus (ItemConsensus: gold answer, adjudication, Dawid-Skene or majority vote),
   only when its confidence reaches the project's `dataset_confidence_threshold`.
A task whose consensus on some control is below the threshold or still awaits adjudication is left
out as a whole (a half label would read as "no answer" for the rest) and listed with why; so is a
task with no label at all. Only the controls annotate aggregates (choices and ratings) make the label.

An unchanged rebuild is refused: when the new items hash to the parent's content hash, nothing is
written and DatasetUnchanged says "nothing changed since version N". Versions mean "the labels changed";
numbering the same content twice would only make people compare identical files.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Max, Model, Q
from django.db.models.expressions import RawSQL

from projects.datasets.canonical import ContentHasher, VersionDiff, diff_versions, split_for
from projects.datasets.queries import code_point_order, labels_by_external_id, latest_version
from projects.errors import Refusal
from projects.models import (
    Adjudication,
    Annotation,
    DatasetExclusion,
    DatasetItem,
    DatasetVersion,
    ItemConsensus,
    LabelingProject,
    Review,
    Task,
)
from projects.quality.controls import AGGREGATED_TYPES, Control, project_controls
from projects.quality.stats.comparison import control_answer

DEFAULT_SPLIT_RATIOS = (0.8, 0.1, 0.1)
BUILD_CHUNK = 5000
CONFIDENCE_DIGITS = 4  # stored and hashed rounded: float noise in a re-aggregation is not a new version
CORRECTION = "correction"
ADJUDICATION = "adjudication"
# Weakest last: an item's method is its weakest control's.
METHOD_STRENGTH = (CORRECTION, ADJUDICATION, ItemConsensus.Method.GOLD, "dawid_skene", "majority")

ITEM_COLUMNS = (
    "version_id", "task_id", "external_id", "language", "data", "label", "split", "method", "confidence", "provenance",
)  # fmt: skip
EXCLUSION_COLUMNS = ("version_id", "task_id", "external_id", "reason", "detail")

Progress = Callable[[str, int, int], None]


class DatasetBuildRefused(Refusal):
    """A build that cannot be done as asked; the message says why."""


class DatasetUnchanged(DatasetBuildRefused):
    """The labels give exactly the parent version's content: no new version is made."""

    def __init__(self, parent: DatasetVersion, content_hash: str) -> None:
        super().__init__(
            f"Nothing changed since version {parent.number} of {parent.project.slug} "
            f"(content hash {content_hash[:12]}…); no new version was built."
        )
        self.parent = parent
        self.content_hash = content_hash


@dataclass(frozen=True)
class BuildSettings:
    confidence_threshold: float
    split_ratios: tuple[float, float, float]
    seed_name: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "confidence_threshold": self.confidence_threshold,
            "split_ratios": list(self.split_ratios),
            "seed_name": self.seed_name,
        }


def build_settings(project: LabelingProject, parent: DatasetVersion | None) -> BuildSettings:
    """The project's threshold now; split ratios and seed from the parent, so an item never changes split."""
    inherited = parent.settings if parent is not None else {}
    return BuildSettings(
        confidence_threshold=float(project.dataset_confidence_threshold),
        split_ratios=tuple(inherited.get("split_ratios") or DEFAULT_SPLIT_RATIOS),
        seed_name=inherited.get("seed_name") or project.slug,
    )


# -- loading a chunk of tasks' label sources ------------------------------------------------------------


@dataclass
class TaskSources:
    consensus: dict[str, tuple[str, Any, float]] = field(default_factory=dict)  # control → (method, label, conf)
    adjudications: dict[str, Any] = field(default_factory=dict)  # control → label (latest)
    correction: list | None = None  # latest corrected result list
    annotators: set[int] = field(default_factory=set)
    reviewers: set[int] = field(default_factory=set)
    adjudicators: set[int] = field(default_factory=set)


def _among(field: str, task_ids: list[int]) -> Q:
    """`field__in=task_ids`; on PostgreSQL as one array parameter.

    A chunk's 5,000 placeholders would cost more to build and quote (Django, then psycopg) than the
    query costs to run.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": task_ids})
    array = "{" + ",".join(str(int(task_id)) for task_id in task_ids) + "}"
    return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [array])})


def _load_sources(task_ids: list[int]) -> dict[int, TaskSources]:
    """Every label source of these tasks, in four queries whatever their number."""
    sources: dict[int, TaskSources] = defaultdict(TaskSources)
    for task_id, control_name, method, label, confidence in ItemConsensus.objects.filter(
        _among("task_id", task_ids)
    ).values_list("task_id", "control_name", "method", "label", "confidence"):
        sources[task_id].consensus[control_name] = (method, label, confidence)
    for task_id, control_name, label, adjudicator_id in (
        Adjudication.objects.filter(_among("task_id", task_ids))
        .order_by("created_at", "id")
        .values_list("task_id", "control_name", "label", "adjudicator_id")
    ):
        sources[task_id].adjudications[control_name] = label
        sources[task_id].adjudicators.add(adjudicator_id)
    for task_id, verdict, corrected_result, reviewer_id in (
        Review.objects.filter(_among("annotation__task_id", task_ids), annotation__is_deleted=False)
        .order_by("created_at", "id")
        .values_list("annotation__task_id", "verdict", "corrected_result", "reviewer_id")
    ):
        sources[task_id].reviewers.add(reviewer_id)
        if verdict == Review.Verdict.CORRECT and corrected_result:
            sources[task_id].correction = corrected_result
    for task_id, annotator_id in Annotation.objects.filter(
        _among("task_id", task_ids), is_deleted=False, was_cancelled=False, annotator__isnull=False
    ).values_list("task_id", "annotator_id"):
        sources[task_id].annotators.add(annotator_id)
    return sources


# -- one task's consolidated label ------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    label: dict[str, Any]
    controls: dict[str, dict[str, Any]]  # control → {"method", "confidence"}
    exclusion: tuple[str, str] | None  # (reason, detail) when the task is left out


def _json_answer(answer: Any) -> Any:
    if isinstance(answer, frozenset):
        return sorted(answer)
    if isinstance(answer, tuple):
        return list(answer)
    return answer


def resolve_label(sources: TaskSources, controls: dict[str, Control], threshold: float) -> Resolution:
    """The task's label per control by precedence (correction > adjudication > consensus above threshold)."""
    label: dict[str, Any] = {}
    chosen: dict[str, dict[str, Any]] = {}
    problems: list[tuple[str, str]] = []
    for name, control in controls.items():
        corrected = control_answer(sources.correction, name, control.kind) if sources.correction else None
        if corrected is not None:
            label[name], chosen[name] = _json_answer(corrected), {"method": CORRECTION, "confidence": 1}
        elif name in sources.adjudications:
            label[name], chosen[name] = sources.adjudications[name], {"method": ADJUDICATION, "confidence": 1}
        elif name in sources.consensus:
            method, consensus_label, confidence = sources.consensus[name]
            confidence = round(float(confidence), CONFIDENCE_DIGITS)
            if consensus_label is None:
                problems.append(
                    (DatasetExclusion.Reason.AWAITING_ADJUDICATION, f"{name}: no majority, not adjudicated")
                )
            elif confidence < threshold:
                problems.append(
                    (DatasetExclusion.Reason.BELOW_THRESHOLD, f"{name}: confidence {confidence:g} < {threshold:g}")
                )
            else:
                label[name], chosen[name] = consensus_label, {"method": method, "confidence": confidence}
    if problems:
        reasons = [reason for reason, _ in problems]
        reason = (
            DatasetExclusion.Reason.AWAITING_ADJUDICATION
            if DatasetExclusion.Reason.AWAITING_ADJUDICATION in reasons
            else DatasetExclusion.Reason.BELOW_THRESHOLD
        )
        return Resolution({}, {}, (reason, "; ".join(detail for _, detail in problems)[:300]))
    if not label:
        return Resolution({}, {}, (DatasetExclusion.Reason.UNLABELED, "no consensus, adjudication or correction"))
    return Resolution(label, chosen, None)


def _weakest_method(controls: dict[str, dict[str, Any]]) -> str:
    methods = [entry["method"] for entry in controls.values()]
    known = [method for method in methods if method in METHOD_STRENGTH]
    return max(known, key=METHOD_STRENGTH.index) if known else methods[0]


# -- statistics for the datasheet -------------------------------------------------------------------


class _Statistics:
    """Counts gathered while the items stream by, stored on the version for its datasheet."""

    def __init__(self) -> None:
        self.splits: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.split_languages: dict[str, Counter[str]] = defaultdict(Counter)
        self.labels: dict[str, dict[str, dict[str, Counter[str]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(Counter))
        )
        self.methods: Counter[str] = Counter()
        self.confidence_sum: dict[str, float] = defaultdict(float)
        self.confidence_count: Counter[str] = Counter()
        self.aggregated_controls = 0
        self.aggregated_certain = 0

    def add(self, item: dict[str, Any]) -> None:
        split, language = item["split"], item["language"]
        self.splits[split] += 1
        self.languages[language] += 1
        self.split_languages[split][language] += 1
        self.methods[item["method"]] += 1
        for control, value in item["label"].items():
            key = "|".join(map(str, value)) if isinstance(value, list) else str(value)
            self.labels[control][split][language][key] += 1
        for control, entry in item["provenance"]["controls"].items():
            self.confidence_sum[control] += entry["confidence"]
            self.confidence_count[control] += 1
            if entry["method"] not in (CORRECTION, ADJUDICATION, ItemConsensus.Method.GOLD):
                self.aggregated_controls += 1
                self.aggregated_certain += entry["confidence"] >= 0.9

    def as_dict(self) -> dict[str, Any]:
        return {
            "splits": dict(self.splits),
            "languages": dict(self.languages),
            "split_languages": {split: dict(counts) for split, counts in self.split_languages.items()},
            "labels": {
                control: {
                    split: {language: dict(counts) for language, counts in by_language.items()}
                    for split, by_language in by_split.items()
                }
                for control, by_split in self.labels.items()
            },
            "methods": dict(self.methods),
            "agreement": {
                "mean_confidence": {
                    control: round(self.confidence_sum[control] / count, 4)
                    for control, count in self.confidence_count.items()
                },
                "aggregated_labels": self.aggregated_controls,
                "aggregated_share_at_0_9": round(self.aggregated_certain / self.aggregated_controls, 4)
                if self.aggregated_controls
                else None,
            },
        }


# -- the build --------------------------------------------------------------------------------------


def _insert(model: type[Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain rows (values in `columns` order, JSON columns as Python values) without model instances.

    By COPY on PostgreSQL: bulk_create spends most of a build quoting JSON and arrays in Python.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_attname[column] for column in columns]
    as_json = [field.get_internal_type() == "JSONField" for field in fields]
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(value, ensure_ascii=False) if is_json else value
                 for value, is_json in zip(row, as_json, strict=True)]
            )  # fmt: skip


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# A bad-case copy of a task is "<external_id>~<run id>" (projects.evaluation.services.send_bad_cases).
BAD_CASE_SEPARATOR = "~"


def split_key(external_id: str) -> str:
    """What decides an item's split: a bad-case copy goes where its original goes, so one
    conversation never sits in two splits (ids containing "~" group by the part before it)."""
    return external_id.split(BAD_CASE_SEPARATOR, 1)[0]


@transaction.atomic
def build_dataset_version(
    *,
    project: LabelingProject,
    user: AbstractBaseUser | None,
    parent: DatasetVersion | None = None,
    note: str = "",
    progress: Progress | None = None,
) -> DatasetVersion:
    """Build the project's next gold dataset version from its current labels; atomic, all or nothing.

    The parent defaults to the project's latest version. Raises DatasetUnchanged (and writes nothing)
    when the content hash equals the parent's. Builds of one project are serialized by a row lock.
    """
    project = LabelingProject.objects.select_for_update().get(pk=project.pk)
    if parent is None:
        parent = latest_version(project)
    elif parent.project_id != project.pk:
        raise DatasetBuildRefused(f"Version {parent} is not a version of {project.slug}.")
    chosen_settings = build_settings(project, parent)
    controls = {
        name: control for name, control in project_controls(project).items() if control.kind in AGGREGATED_TYPES
    }
    if not controls:
        raise DatasetBuildRefused(f"{project.slug}'s label config has no choice or rating control to build labels of.")
    number = (DatasetVersion.objects.filter(project=project).aggregate(Max("number"))["number__max"] or 0) + 1
    version = DatasetVersion.objects.create(
        project=project,
        number=number,
        parent=parent,
        content_hash="",
        item_count=0,
        settings=chosen_settings.as_dict(),
        built_by=user,
        note=note,
    )
    # Gold mixed into batches is a copy of a gold item (Task.gold_source): the dataset holds each conversation once.
    originals = Task.objects.filter(project=project, gold_source__isnull=True)
    total = originals.count()
    hasher = ContentHasher()
    statistics = _Statistics()
    excluded: Counter[str] = Counter()
    done = 0
    tasks = (
        originals.order_by(code_point_order())
        .values_list("id", "external_id", "language", "data")
        .iterator(chunk_size=BUILD_CHUNK)
    )
    for chunk in _chunks(tasks, BUILD_CHUNK):
        sources = _load_sources([task_id for task_id, *_ in chunk])
        items, exclusions = [], []
        for task_id, external_id, language, data in chunk:
            task_sources = sources.get(task_id) or TaskSources()
            resolution = resolve_label(task_sources, controls, chosen_settings.confidence_threshold)
            if resolution.exclusion is not None:
                reason, detail = resolution.exclusion
                excluded[reason] += 1
                exclusions.append((version.pk, task_id, external_id, reason, detail))
                continue
            item = {
                "external_id": external_id,
                "language": language,
                "data": data,
                "label": resolution.label,
                "split": split_for(
                    split_key(external_id), seed_name=chosen_settings.seed_name, ratios=chosen_settings.split_ratios
                ),
                "method": _weakest_method(resolution.controls),
                "confidence": min(entry["confidence"] for entry in resolution.controls.values()),
                "provenance": {
                    "annotators": sorted(task_sources.annotators),
                    "reviewers": sorted(task_sources.reviewers),
                    "adjudicators": sorted(task_sources.adjudicators),
                    "controls": resolution.controls,
                },
            }
            hasher.add(item)
            statistics.add(item)
            items.append((version.pk, task_id, *(item[column] for column in ITEM_COLUMNS[2:])))
        _insert(DatasetItem, ITEM_COLUMNS, items)
        _insert(DatasetExclusion, EXCLUSION_COLUMNS, exclusions)
        done += len(chunk)
        if progress is not None:
            progress("building", done, total)
    content_hash = hasher.hexdigest()
    if hasher.items == 0:
        left_out = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(excluded.items()))
        raise DatasetBuildRefused(
            f"No task of {project.slug} has a label that qualifies ({left_out or 'no tasks'}); nothing to build."
        )
    if parent is not None and parent.content_hash == content_hash:
        raise DatasetUnchanged(parent, content_hash)
    # The one write to the version after its items: through the base manager, inside the build's transaction.
    DatasetVersion._base_manager.filter(pk=version.pk).update(
        content_hash=content_hash,
        item_count=hasher.items,
        excluded={**excluded, "total": sum(excluded.values())},
        statistics=statistics.as_dict(),
    )
    version.refresh_from_db()
    return version


def diff(version_a: DatasetVersion, version_b: DatasetVersion) -> VersionDiff:
    """Items added, removed and relabeled from version_a to version_b (any two versions of any projects)."""
    return diff_versions(labels_by_external_id(version_a), labels_by_external_id(version_b))
