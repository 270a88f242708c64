"""Streaming readers for task files: CSV, JSONL and Label Studio JSON.

Each reader yields RawRecord for every task-shaped item and RowError for every
structural problem, with the physical line it starts on, so that the whole file
can be checked before anything is written.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from projects.ingest.errors import RowError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "labelstudio"}
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class RawRecord:
    line: int
    values: object


class UnreadableFile(Exception):
    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(str(error))


def detect_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise UnreadableFile(RowError(file_name, None, None, f"unknown file type {suffix!r}; use one of {known}"))
    return FORMATS[suffix]


class LineDecoder:
    """Decodes a binary file line by line as UTF-8 (with or without BOM) or GB18030.

    The encoding is chosen on the first line with a non-ASCII byte: UTF-8 if it
    decodes, GB18030 (what Excel writes for Mandarin sheets) otherwise. Every
    later line must decode strictly in that encoding.
    """

    def __init__(self, stream: BinaryIO, file_name: str) -> None:
        self.stream = stream
        self.file_name = file_name
        self.encoding: str | None = None
        self.bytes_read = 0
        self.line_number = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.line_number += 1
            self.bytes_read += len(raw)
            if self.line_number == 1:
                if raw.startswith(UTF16_BOMS):
                    raise UnreadableFile(
                        RowError(self.file_name, 1, None, "the file is UTF-16; save it as UTF-8 or GB18030")
                    )
                if raw.startswith(UTF8_BOM):
                    raw = raw[len(UTF8_BOM) :]
                    self.encoding = "utf-8"
            yield self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        if raw.isascii():
            text = raw.decode("ascii")
        elif self.encoding is None:
            try:
                text = raw.decode("utf-8")
                self.encoding = "utf-8"
            except UnicodeDecodeError:
                text = self._strict(raw, "gb18030")
                self.encoding = "gb18030"
        else:
            text = self._strict(raw, self.encoding)
        if "\x00" in text:
            raise UnreadableFile(
                RowError(self.file_name, self.line_number, None, "the line holds NUL bytes: is this a text file?")
            )
        return text

    def _strict(self, raw: bytes, encoding: str) -> str:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            tried = "UTF-8 or GB18030" if self.encoding is None else self.encoding.upper()
            byte = raw[error.start]
            raise UnreadableFile(
                RowError(
                    self.file_name,
                    self.line_number,
                    None,
                    f"byte 0x{byte:02x} (byte {error.start + 1} of the line) is not valid {tried}",
                )
            ) from None


def read_records(decoder: LineDecoder, file_format: str) -> Iterator[RawRecord | RowError]:
    """Yield the file's records and structural errors in file order."""
    readers = {"csv": _read_csv, "jsonl": _read_jsonl, "labelstudio": _read_labelstudio_json}
    yield from readers[file_format](decoder, decoder.file_name)


def _read_jsonl(decoder: LineDecoder, file_name: str) -> Iterator[RawRecord | RowError]:
    for text in decoder:
        if not text.strip():
            continue
        try:
            yield RawRecord(decoder.line_number, json.loads(text))
        except json.JSONDecodeError as error:
            yield RowError(file_name, decoder.line_number, None, f"not valid JSON (column {error.colno}): {error.msg}")


def _read_csv(decoder: LineDecoder, file_name: str) -> Iterator[RawRecord | RowError]:
    reader = csv.reader(decoder, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip() for name in header]
        for position, name in enumerate(header, start=1):
            if not name:
                yield RowError(file_name, 1, None, f"column {position} of the header has no name")
                return
            if header.count(name) > 1:
                yield RowError(file_name, 1, name, "the column appears twice in the header")
                return
        last_line = reader.line_num
        for row in reader:
            start_line, last_line = last_line + 1, reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                yield RowError(
                    file_name, start_line, None, f"the row has {len(row)} fields but the header has {len(header)}"
                )
                continue
            yield RawRecord(start_line, dict(zip(header, row, strict=True)))
    except csv.Error as error:
        yield RowError(file_name, reader.line_num, None, f"malformed CSV: {error}")


def _read_labelstudio_json(decoder: LineDecoder, file_name: str) -> Iterator[RawRecord | RowError]:
    # A Label Studio export is one JSON array. It is parsed element by element so that
    # every task keeps the line it starts on.
    text = "".join(decoder)
    json_decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text):
        return
    if text[position] != "[":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            yield RowError(file_name, error.lineno, None, f"not valid JSON (column {error.colno}): {error.msg}")
            return
        if isinstance(value, dict):
            yield RawRecord(1 + text.count("\n", 0, position), value)
        else:
            yield RowError(file_name, 1, None, "expected a JSON array of tasks")
        return
    position = _skip_space(text, position + 1)
    line = 1 + text.count("\n", 0, position)
    counted_to = position
    while position < len(text) and text[position] != "]":
        line += text.count("\n", counted_to, position)
        counted_to = position
        try:
            value, end = json_decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            yield RowError(file_name, error.lineno, None, f"not valid JSON (column {error.colno}): {error.msg}")
            return
        yield RawRecord(line, value)
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        elif position < len(text) and text[position] != "]":
            line += text.count("\n", counted_to, position)
            yield RowError(file_name, line, None, "expected ',' or ']' between tasks")
            return
    if position >= len(text):
        yield RowError(file_name, 1 + text.count("\n"), None, "the JSON array is not closed with ']'")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
