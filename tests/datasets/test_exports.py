"""Exports of a dataset version: every format gives back the same items; JSONL is the canonical form."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command

from projects.datasets import exports
from projects.datasets.builds import build_dataset_version
from projects.datasets.queries import iter_item_dicts
from projects.models import Adjudication, ItemConsensus
from tests.actors import actor_for
from tests.factories import LabelingProjectFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    """25 items in English and Chinese: choices, a rating, an adjudication, external ids that sort by code point."""
    project = LabelingProjectFactory(slug="export-triage")
    adjudicator = UserFactory(username="lead")
    for number in range(25):
        task = TaskFactory(
            project=project,
            external_id=f"{'Z' if number % 3 else 'a'}-{number:03d}-é",
            language="en" if number % 2 else "zh",
            data={"message": f"订单 {number} 还没到", "reply": 'It ships, "soon",\ntomorrow.'},
        )
        ItemConsensus.objects.create(
            task=task, control_name="scenario", method="majority", label="refund", confidence=0.75, ratings=4
        )
        ItemConsensus.objects.create(
            task=task, control_name="helpfulness", method="majority", label=number % 5 + 1, confidence=1, ratings=4
        )
        if number == 7:
            Adjudication.objects.create(task=task, control_name="scenario", label="damaged", adjudicator=adjudicator)
    return build_dataset_version(project=project, actor=actor_for(adjudicator))


def exported(version, export_format: str) -> bytes:
    return b"".join(exports.export_chunks(version, export_format))


def from_flat(rows) -> list[dict]:
    return [
        {name: json.loads(row[name]) if name in exports.JSON_COLUMNS else row[name] for name in exports.COLUMNS}
        | {"confidence": float(row["confidence"])}
        for row in rows
    ]


@pytest.fixture
def items(version) -> list[dict]:
    return [{name: item[name] for name in exports.COLUMNS} for item in iter_item_dicts(version)]


def test_the_jsonl_export_is_the_canonical_form_and_hashes_to_the_version(version, items):
    data = exported(version, "jsonl")

    assert hashlib.sha256(data).hexdigest() == version.content_hash
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert [{name: line[name] for name in exports.COLUMNS} for line in lines] == items
    assert [line["external_id"] for line in lines] == sorted(line["external_id"] for line in lines)
    assert lines[0]["external_id"].startswith("Z")  # code point order: "Z" < "a"


def test_the_csv_export_round_trips_the_items(version, items):
    rows = list(csv.DictReader(io.StringIO(exported(version, "csv").decode("utf-8"))))

    assert from_flat(rows) == items


def test_the_parquet_export_is_readable_by_pyarrow_in_row_groups_and_round_trips(version, items, monkeypatch):
    monkeypatch.setattr(exports, "PARQUET_ROW_GROUP", 10)
    data = b"".join(exports.parquet_chunks(version, row_group=10))

    parquet = pq.ParquetFile(io.BytesIO(data))
    assert parquet.metadata.num_rows == 25 and parquet.metadata.num_row_groups == 3
    assert from_flat(parquet.read().to_pylist()) == items


def test_the_label_studio_export_carries_each_label_as_an_annotation(version, items):
    tasks = json.loads(exported(version, "labelstudio"))

    assert [task["meta"]["external_id"] for task in tasks] == [item["external_id"] for item in items]
    adjudicated = next(task for task in tasks if task["meta"]["external_id"] == "a-006-é")
    assert adjudicated["data"]["message"] == "订单 6 还没到"
    by_external_id = {task["meta"]["external_id"]: task for task in tasks}
    result = by_external_id["Z-007-é"]["annotations"][0]["result"]
    assert {region["from_name"]: region["value"] for region in result} == {
        "scenario": {"choices": ["damaged"]},
        "helpfulness": {"rating": 3},
    }
    assert by_external_id["Z-007-é"]["annotations"][0]["ground_truth"] is False


def test_every_format_exports_the_same_items(version, items):
    jsonl = [json.loads(line) for line in exported(version, "jsonl").decode().splitlines()]
    csv_rows = from_flat(csv.DictReader(io.StringIO(exported(version, "csv").decode())))
    parquet_rows = from_flat(pq.read_table(io.BytesIO(exported(version, "parquet"))).to_pylist())
    label_studio = json.loads(exported(version, "labelstudio"))

    assert [{name: item[name] for name in exports.COLUMNS} for item in jsonl] == csv_rows == parquet_rows == items
    assert [task["meta"]["provenance"] for task in label_studio] == [item["provenance"] for item in items]


def test_the_export_command_writes_the_file(version, tmp_path):
    target = tmp_path / "gold.jsonl"

    call_command("export_dataset", str(version.pk), "--format", "jsonl", "--output", str(target), "--no-progress")

    assert hashlib.sha256(target.read_bytes()).hexdigest() == version.content_hash
