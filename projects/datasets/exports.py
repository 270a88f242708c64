"""Exports of a dataset version, streamed: each format is a generator of bytes over a chunked item iterator.

Memory stays bounded whatever the version's size: items come from the database in chunks
(`iter_item_dicts`), and each writer yields what it has written every chunk (Parquet: every row group).

- JSONL is the canonical form itself: `sha256sum` of the file is the version's content hash.
- CSV has one row per item; label, data and provenance are canonical JSON text in their columns.
- Parquet has the same columns as the CSV (confidence a double), in row groups of PARQUET_ROW_GROUP.
- Label Studio JSON is a task list with the label as one annotation (ground_truth false), ready to import.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from projects.datasets.canonical import canonical_json, canonical_line
from projects.datasets.queries import iter_item_dicts
from projects.errors import InputRefused
from projects.labeling.label_config import answer_to_result, cached_label_config
from projects.models import DatasetVersion

FORMATS = ("jsonl", "csv", "parquet", "labelstudio")
CONTENT_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "labelstudio": "application/json",
}
EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet", "labelstudio": "json"}
COLUMNS = ("external_id", "language", "split", "method", "confidence", "label", "data", "provenance")
JSON_COLUMNS = ("label", "data", "provenance")
PARQUET_ROW_GROUP = 10_000
FLUSH_ITEMS = 1000
PARQUET_METADATA = {"format": "annotate dataset version; label, data and provenance are canonical JSON"}


class ExportRefused(InputRefused, ValueError):
    pass


def export_file_name(version: DatasetVersion, export_format: str) -> str:
    return f"{version.project.slug}-v{version.number}.{EXTENSIONS[export_format]}"


def _flat_row(item: dict[str, Any]) -> list[Any]:
    return [canonical_json(item[name]) if name in JSON_COLUMNS else item[name] for name in COLUMNS]


def jsonl_chunks(version: DatasetVersion) -> Iterator[bytes]:
    buffer: list[bytes] = []
    for item in iter_item_dicts(version):
        buffer.append(canonical_line(item))
        if len(buffer) >= FLUSH_ITEMS:
            yield b"".join(buffer)
            buffer = []
    if buffer:
        yield b"".join(buffer)


def csv_chunks(version: DatasetVersion) -> Iterator[bytes]:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for count, item in enumerate(iter_item_dicts(version), start=1):
        writer.writerow(_flat_row(item))
        if count % FLUSH_ITEMS == 0:
            yield text.getvalue().encode("utf-8")
            text.seek(0)
            text.truncate()
    yield text.getvalue().encode("utf-8")


class _Drain:
    """A write-only file for ParquetWriter that hands back what was written since the last `take`."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def parquet_chunks(version: DatasetVersion, *, row_group: int = PARQUET_ROW_GROUP) -> Iterator[bytes]:
    # pyarrow is ~60 MB resident once imported; only Parquet exports need it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [(name, pa.float64() if name == "confidence" else pa.string()) for name in COLUMNS], metadata=PARQUET_METADATA
    )
    drain = _Drain()
    writer = pq.ParquetWriter(pa.PythonFile(drain, mode="w"), schema, compression="zstd")
    columns: list[list[Any]] = [[] for _ in COLUMNS]

    def write_group() -> bytes:
        writer.write_table(pa.Table.from_arrays([pa.array(values) for values in columns], schema=schema))
        for values in columns:
            values.clear()
        return drain.take()

    for item in iter_item_dicts(version):
        for values, value in zip(columns, _flat_row(item), strict=True):
            values.append(value)
        if len(columns[0]) >= row_group:
            yield write_group()
    if columns[0]:
        yield write_group()
    writer.close()
    yield drain.take()


def labelstudio_chunks(version: DatasetVersion) -> Iterator[bytes]:
    config = cached_label_config(version.project.label_config)
    yield b"["
    buffer: list[str] = []
    for count, item in enumerate(iter_item_dicts(version)):
        task = {
            "data": item["data"],
            "annotations": [
                {
                    "result": answer_to_result(config, item["label"]),
                    "ground_truth": False,
                    "meta": {"method": item["method"], "confidence": item["confidence"]},
                }
            ],
            "meta": {
                "external_id": item["external_id"],
                "language": item["language"],
                "split": item["split"],
                "dataset_version": version.number,
                "provenance": item["provenance"],
            },
        }
        buffer.append(("," if count else "") + json.dumps(task, ensure_ascii=False, sort_keys=True))
        if len(buffer) >= FLUSH_ITEMS:
            yield ("\n".join(buffer) + "\n").encode("utf-8")
            buffer = []
    yield ("\n".join(buffer) + "]\n").encode("utf-8")


WRITERS = {"jsonl": jsonl_chunks, "csv": csv_chunks, "parquet": parquet_chunks, "labelstudio": labelstudio_chunks}


def export_chunks(version: DatasetVersion, export_format: str) -> Iterator[bytes]:
    """The version in `export_format` as a stream of byte chunks (concatenate them for the file)."""
    if export_format not in WRITERS:
        raise ExportRefused(f"Unknown export format {export_format!r}; choose one of {', '.join(FORMATS)}.")
    return WRITERS[export_format](version)
