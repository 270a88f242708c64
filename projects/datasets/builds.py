"""Building a gold dataset version: every task's consolidated label, hashed, split, frozen in one transaction.

`build_dataset_version` reads as its steps: lock the project and check it can be built, open the version row,
write its items and exclusions chunk by chunk (labels from consolidation.py, counts from statistics.py), refuse
an empty or unchanged result, seal the version with its hash and counts. `DatasetBuildRefused` and its
`DatasetUnchanged` say why a build did not happen.

An unchanged rebuild is refused: when the new items hash to the parent's content hash, nothing is
written and DatasetUnchanged says "nothing changed since version N". Versions mean "the labels changed";
numbering the same content twice would only make people compare identical files.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Max, Model

from projects.audit import Actor, records_actor
from projects.datasets.canonical import ContentHasher, split_for
from projects.datasets.consolidation import Resolution, TaskSources, load_sources, resolve_label, weakest_method
from projects.datasets.queries import code_point_order, latest_version
from projects.datasets.statistics import DatasetStatistics
from projects.errors import Refusal
from projects.models import DatasetExclusion, DatasetItem, DatasetVersion, LabelingProject, Task
from projects.quality.controls import AGGREGATED_TYPES, Control, project_controls

DEFAULT_SPLIT_RATIOS = (0.8, 0.1, 0.1)
BUILD_CHUNK = 5000

ITEM_COLUMNS = (
    "version_id", "task_id", "external_id", "language", "data", "label", "split", "method", "confidence", "provenance",
)  # fmt: skip
EXCLUSION_COLUMNS = ("version_id", "task_id", "external_id", "reason", "detail")

Progress = Callable[[str, int, int], None]

# A bad-case copy of a task is "<external_id>~<run id>" (projects.evaluation.bad_cases.send_bad_cases).
BAD_CASE_SEPARATOR = "~"


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


def split_key(external_id: str) -> str:
    """What decides an item's split: a bad-case copy goes where its original goes, so one
    conversation never sits in two splits (ids containing "~" group by the part before it)."""
    return external_id.split(BAD_CASE_SEPARATOR, 1)[0]


# -- the build --------------------------------------------------------------------------------------


@records_actor
@transaction.atomic
def build_dataset_version(
    *,
    project: LabelingProject,
    actor: Actor,
    parent: DatasetVersion | None = None,
    note: str = "",
    progress: Progress | None = None,
) -> DatasetVersion:
    """Build the project's next gold dataset version from its current labels; atomic, all or nothing.

    The parent defaults to the project's latest version. Raises DatasetUnchanged (and writes nothing)
    when the content hash equals the parent's. Builds of one project are serialized by a row lock. The
    version records the actor's person as its builder (none when annotate itself builds).
    """
    project, parent, controls = _lock_buildable(project, parent)
    chosen_settings = build_settings(project, parent)
    version = _open_version(project, parent, chosen_settings, actor.user, note)
    written = _write_items(version, controls, chosen_settings, progress)
    _refuse_empty_or_unchanged(project, parent, written)
    return _seal(version, written)


@dataclass
class _Written:
    """What a build wrote, as it went: the running hash, the datasheet's counts, the exclusions by reason."""

    hasher: ContentHasher = field(default_factory=ContentHasher)
    statistics: DatasetStatistics = field(default_factory=DatasetStatistics)
    excluded: Counter[str] = field(default_factory=Counter)


def _lock_buildable(
    project: LabelingProject, parent: DatasetVersion | None
) -> tuple[LabelingProject, DatasetVersion | None, dict[str, Control]]:
    """The project locked for the build, the parent version, the controls the label is made of; or a refusal."""
    project = LabelingProject.objects.select_for_update().get(pk=project.pk)
    if parent is None:
        parent = latest_version(project)
    elif parent.project_id != project.pk:
        raise DatasetBuildRefused(f"Version {parent} is not a version of {project.slug}.")
    controls = {
        name: control for name, control in project_controls(project).items() if control.kind in AGGREGATED_TYPES
    }
    if not controls:
        raise DatasetBuildRefused(f"{project.slug}'s label config has no choice or rating control to build labels of.")
    return project, parent, controls


def _open_version(
    project: LabelingProject,
    parent: DatasetVersion | None,
    chosen_settings: BuildSettings,
    user: AbstractBaseUser | None,
    note: str,
) -> DatasetVersion:
    number = (DatasetVersion.objects.filter(project=project).aggregate(Max("number"))["number__max"] or 0) + 1
    return DatasetVersion.objects.create(
        project=project,
        number=number,
        parent=parent,
        content_hash="",
        item_count=0,
        settings=chosen_settings.as_dict(),
        built_by=user,
        note=note,
    )


def _write_items(
    version: DatasetVersion, controls: dict[str, Control], chosen_settings: BuildSettings, progress: Progress | None
) -> _Written:
    """Every original task's item or exclusion, written chunk by chunk in canonical order."""
    # Gold mixed into batches is a copy of a gold item (Task.gold_source): the dataset holds each conversation once.
    originals = Task.objects.filter(project=version.project_id, gold_source__isnull=True)
    total = originals.count()
    written = _Written()
    done = 0
    tasks = (
        originals.order_by(code_point_order())
        .values_list("id", "external_id", "language", "data")
        .iterator(chunk_size=BUILD_CHUNK)
    )
    for chunk in _chunks(tasks, BUILD_CHUNK):
        sources = load_sources([task_id for task_id, *_ in chunk])
        items, exclusions = [], []
        for task_id, external_id, language, data in chunk:
            task_sources = sources.get(task_id) or TaskSources()
            resolution = resolve_label(task_sources, controls, chosen_settings.confidence_threshold)
            if resolution.exclusion is not None:
                reason, detail = resolution.exclusion
                written.excluded[reason] += 1
                exclusions.append((version.pk, task_id, external_id, reason, detail))
                continue
            item = _item(external_id, language, data, task_sources, resolution, chosen_settings)
            written.hasher.add(item)
            written.statistics.add(item)
            items.append((version.pk, task_id, *(item[column] for column in ITEM_COLUMNS[2:])))
        _insert(DatasetItem, ITEM_COLUMNS, items)
        _insert(DatasetExclusion, EXCLUSION_COLUMNS, exclusions)
        done += len(chunk)
        if progress is not None:
            progress("building", done, total)
    return written


def _item(
    external_id: str,
    language: str,
    data: Any,
    task_sources: TaskSources,
    resolution: Resolution,
    chosen_settings: BuildSettings,
) -> dict[str, Any]:
    """One dataset item as it is hashed and stored: the task, its label, split, method and provenance."""
    return {
        "external_id": external_id,
        "language": language,
        "data": data,
        "label": resolution.label,
        "split": split_for(
            split_key(external_id), seed_name=chosen_settings.seed_name, ratios=chosen_settings.split_ratios
        ),
        "method": weakest_method(resolution.controls),
        "confidence": min(entry["confidence"] for entry in resolution.controls.values()),
        "provenance": {
            "annotators": sorted(task_sources.annotators),
            "reviewers": sorted(task_sources.reviewers),
            "adjudicators": sorted(task_sources.adjudicators),
            "controls": resolution.controls,
        },
    }


def _refuse_empty_or_unchanged(project: LabelingProject, parent: DatasetVersion | None, written: _Written) -> None:
    if written.hasher.items == 0:
        left_out = ", ".join(
            f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(written.excluded.items())
        )
        raise DatasetBuildRefused(
            f"No task of {project.slug} has a label that qualifies ({left_out or 'no tasks'}); nothing to build."
        )
    content_hash = written.hasher.hexdigest()
    if parent is not None and parent.content_hash == content_hash:
        raise DatasetUnchanged(parent, content_hash)


def _seal(version: DatasetVersion, written: _Written) -> DatasetVersion:
    """The one write to the version after its items: through the base manager, inside the build's transaction."""
    excluded = written.excluded
    DatasetVersion._base_manager.filter(pk=version.pk).update(
        content_hash=written.hasher.hexdigest(),
        item_count=written.hasher.items,
        excluded={**excluded, "total": sum(excluded.values())},
        statistics=written.statistics.as_dict(),
    )
    version.refresh_from_db()
    return version


# -- writing rows -----------------------------------------------------------------------------------


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
