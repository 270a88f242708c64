"""Reads of gold datasets for pages, exports and the API: items in canonical order, versions, diffs, datasheets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import Collate

from projects.datasets.canonical import VersionDiff, diff_versions
from projects.models import DatasetExclusion, DatasetItem, DatasetVersion, LabelingProject

ITEM_FIELDS = ("external_id", "language", "data", "label", "split", "method", "confidence", "provenance")
EXPORT_CHUNK = 2000


def code_point_order(field: str = "external_id") -> F | Collate:
    """An order_by expression for code point order of `field`: the order of the canonical form and its hash.

    PostgreSQL sorts text by the database's language collation unless told "C"; SQLite's default
    (BINARY) already is code point order for UTF-8.
    """
    return Collate(field, "C") if connection.vendor == "postgresql" else F(field)


def dataset_items(version: DatasetVersion) -> QuerySet[DatasetItem]:
    return DatasetItem.objects.filter(version=version).order_by(code_point_order())


def iter_item_dicts(version: DatasetVersion, *, chunk_size: int = EXPORT_CHUNK) -> Iterator[dict[str, Any]]:
    """The version's items as the dicts that were hashed, in canonical order, one chunk in memory at a time."""
    for row in dataset_items(version).values_list(*ITEM_FIELDS).iterator(chunk_size=chunk_size):
        yield dict(zip(ITEM_FIELDS, row, strict=True))


def labels_by_external_id(version: DatasetVersion) -> dict[str, Any]:
    return dict(DatasetItem.objects.filter(version=version).values_list("external_id", "label").iterator(10_000))


def latest_version(project: LabelingProject) -> DatasetVersion | None:
    return DatasetVersion.objects.filter(project=project).order_by("-number").first()


def diff_dataset_versions(version_a: DatasetVersion, version_b: DatasetVersion) -> VersionDiff:
    """Items added, removed and relabeled from version_a to version_b (any two versions of any projects)."""
    return diff_versions(labels_by_external_id(version_a), labels_by_external_id(version_b))


@dataclass(frozen=True)
class Bar:
    """One bar of a datasheet chart: a label's count and its share of the largest bar (for the width)."""

    label: str
    count: int
    width: float


@dataclass(frozen=True)
class Datasheet:
    version: DatasetVersion
    splits: list[tuple[str, int]]
    languages: list[tuple[str, int]]
    split_languages: list[tuple[str, str, int]]
    # control → [(split, language, bars)]
    distributions: dict[str, list[tuple[str, str, list[Bar]]]]
    methods: list[tuple[str, int]]
    agreement: dict[str, Any]
    excluded: dict[str, int]
    exclusions: list[DatasetExclusion]
    exclusions_shown: int


def _bars(counts: dict[str, int]) -> list[Bar]:
    largest = max(counts.values(), default=0) or 1
    return [
        Bar(label, count, round(100 * count / largest, 1))
        for label, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    ]


def datasheet(version: DatasetVersion, *, exclusions_shown: int = 200) -> Datasheet:
    """What the datasheet page shows: the statistics stored at build time and the first exclusions."""
    statistics = version.statistics or {}
    distributions = {
        control: [
            (split, language, _bars(counts))
            for split, by_language in sorted(by_split.items())
            for language, counts in sorted(by_language.items())
        ]
        for control, by_split in sorted((statistics.get("labels") or {}).items())
    }
    return Datasheet(
        version=version,
        splits=sorted((statistics.get("splits") or {}).items()),
        languages=sorted((statistics.get("languages") or {}).items()),
        split_languages=[
            (split, language, count)
            for split, by_language in sorted((statistics.get("split_languages") or {}).items())
            for language, count in sorted(by_language.items())
        ],
        distributions=distributions,
        methods=sorted((statistics.get("methods") or {}).items()),
        agreement=statistics.get("agreement") or {},
        excluded=version.excluded or {},
        exclusions=list(
            DatasetExclusion.objects.filter(version=version).order_by(code_point_order())[:exclusions_shown]
        ),
        exclusions_shown=exclusions_shown,
    )
