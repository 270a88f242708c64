"""What a dataset version is, byte for byte (pure): canonical serialization, content hash, splits, diffs.

A version's canonical form is JSON Lines: one item per line, items in code point order of their
`external_id`, every line the item's canonical JSON followed by "\\n". Its content hash is the SHA-256
of exactly those bytes, so anyone can check a canonical JSONL export with `sha256sum`.

Canonical JSON of one item:
- object keys sorted (code point order), separators "," and ":" with no whitespace;
- every string, keys included, in Unicode NFC, so "é" typed as one code point or as "e" plus a
  combining accent is the same label; UTF-8, non-ASCII characters written as themselves;
- numbers by value: a float with an integral value is written as that integer (1.0 as 1, -0.0 as 0),
  because the same number comes back as int or float depending on the database's JSON column; other
  floats as Python's shortest round-trip repr, which is the same on every IEEE 754 machine;
  NaN and infinities are refused (JSON has no spelling for them);
- tuples as lists; anything that is not JSON (dates, decimals, sets) is refused: the builder
  converts it first, so the hash never depends on an implicit conversion.

The hash covers every field of every item it is given: the builder decides what defines a version
(external_id, label, split, provenance) by what it passes in.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")
# Integral floats are written as integers only where every float is exactly an integer (|x| < 2**53).
_EXACT_INTEGER_LIMIT = 2.0**53
_UNIT_INTERVAL_STEPS = 2**64  # the split's uniform number is the first 8 bytes of a SHA-256 digest


def _canonical_value(value: Any, path: str) -> Any:
    """A JSON-ready copy of `value` with NFC strings and floats by value; raises on anything else."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} has no JSON spelling; give a finite number or null")
        if value.is_integer() and abs(value) < _EXACT_INTEGER_LIMIT:
            return int(value)
        return value
    if isinstance(value, list | tuple):
        return [_canonical_value(element, f"{path}[{index}]") for index, element in enumerate(value)]
    if isinstance(value, Mapping):
        canonical: dict[str, Any] = {}
        for key, element in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: object key {key!r} is not a string")
            normalized_key = unicodedata.normalize("NFC", key)
            if normalized_key in canonical:
                raise ValueError(f"{path}: two keys are {normalized_key!r} after NFC normalisation")
            canonical[normalized_key] = _canonical_value(element, f"{path}.{normalized_key}")
        return canonical
    raise TypeError(
        f"{path}: {type(value).__name__} is not JSON; convert it to str, int, float, bool, None, list or dict first"
    )


class _NotPlain(Exception):
    pass


def _numbers_by_value(value: Any) -> Any:
    """`_canonical_value` without the NFC step or the error paths: a copy with integral floats as integers.

    Exact types only, for speed: anything else (subclasses, other mappings, non-string keys, non-JSON
    values) raises _NotPlain and goes the way of `_canonical_value`, which converts or explains it.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return int(value) if value.is_integer() and abs(value) < _EXACT_INTEGER_LIMIT else value
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise _NotPlain
        return {key: _numbers_by_value(element) for key, element in value.items()}
    if kind is list or kind is tuple:
        return [_numbers_by_value(element) for element in value]
    raise _NotPlain


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value: Any) -> str:
    """The canonical JSON text of one value (an item, or a label alone); same value, same text."""
    # Fast path for the usual value, whose strings are already NFC: dump it and check the text once.
    # '"' never combines with a neighbour, so the text is NFC exactly when every string and key in it
    # is, and then `_canonical_value` would have changed nothing but the integral floats.
    try:
        text = _dumps(_numbers_by_value(value))
    except (_NotPlain, TypeError, ValueError, RecursionError):
        text = None
    if text is not None and unicodedata.is_normalized("NFC", text):
        return text
    return _dumps(_canonical_value(value, "$"))


def external_id_of(item: Mapping[str, Any]) -> str:
    """The item's external_id in NFC, the key of order, splits and diffs."""
    external_id = item.get("external_id")
    if not isinstance(external_id, str) or not external_id:
        raise ValueError(f"every item needs a non-empty string external_id, got {external_id!r}")
    return unicodedata.normalize("NFC", external_id)


def canonical_line(item: Mapping[str, Any]) -> bytes:
    """One item's line of the canonical form: its canonical JSON in UTF-8 and a newline."""
    return canonical_json(item).encode("utf-8") + b"\n"


def _in_external_id_order(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(items, key=external_id_of)


def canonical_bytes(items: Iterable[Mapping[str, Any]]) -> bytes:
    """The canonical JSON Lines form of a version's items, whatever order they come in."""
    hasher = ContentHasher()  # checks that no external_id appears twice
    return b"".join([hasher.add(item) for item in _in_external_id_order(items)])


def content_hash(items: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 hex of `canonical_bytes(items)`; sorts in memory, so the items may come in any order."""
    return stream_content_hash(_in_external_id_order(items))


def stream_content_hash(items_in_order: Iterable[Mapping[str, Any]]) -> str:
    """The same hash as `content_hash`, holding one item at a time: items must come sorted by external_id."""
    hasher = ContentHasher()
    for item in items_in_order:
        hasher.add(item)
    return hasher.hexdigest()


class ContentHasher:
    """Incremental content hash: feed items in external_id order, one at a time, e.g. from a queryset iterator.

    The order is code point order of the NFC external_id, which is UTF-8 byte order: SQLite's default
    and PostgreSQL's "C" collation, not a language collation such as en_US (order the queryset by
    `Collate("external_id", "C")`). An item out of order or a repeated external_id raises ValueError
    rather than silently giving a hash that `content_hash` would not reproduce.
    """

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._last_external_id: str | None = None
        self.items = 0

    def add(self, item: Mapping[str, Any]) -> bytes:
        """Hash one item; returns its canonical line, so an export can write the bytes it hashed."""
        external_id = external_id_of(item)
        if self._last_external_id is not None and external_id <= self._last_external_id:
            problem = "appears twice" if external_id == self._last_external_id else "comes after a larger external_id"
            raise ValueError(
                f"external_id {external_id!r} {problem} ({self._last_external_id!r}); "
                "items must arrive once each, in code point order of external_id"
            )
        self._last_external_id = external_id
        line = canonical_line(item)
        self._sha256.update(line)
        self.items += 1
        return line

    def hexdigest(self) -> str:
        return self._sha256.hexdigest()


def split_for(external_id: str, *, seed_name: str, ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> Split:
    """The item's split, fixed by SHA-256 of (seed_name, external_id): same on every run, process and machine.

    Each item's split depends on its own external_id only, so adding or removing other items never moves
    it, and an item in the test split of one version is in the test split of every later version with
    the same seed_name and ratios. Change seed_name to draw a different split of the same items.
    """
    if len(ratios) != len(SPLITS) or any(not math.isfinite(ratio) or ratio < 0 for ratio in ratios):
        raise ValueError(f"ratios must be three non-negative numbers (train, validation, test), got {ratios!r}")
    if not math.isclose(sum(ratios), 1.0, abs_tol=1e-9):
        raise ValueError(f"ratios must add up to 1, got {ratios!r} (sum {sum(ratios)})")
    key = f"{unicodedata.normalize('NFC', seed_name)}\x00{unicodedata.normalize('NFC', external_id)}"
    draw = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")  # uniform on [0, 2**64)
    cumulative = 0.0
    for split, ratio in zip(SPLITS[:-1], ratios[:-1], strict=True):
        cumulative += ratio
        if draw < int(cumulative * _UNIT_INTERVAL_STEPS):
            return split
    return SPLITS[-1]


@dataclass(frozen=True)
class Relabel:
    external_id: str
    old_label: Any
    new_label: Any


@dataclass(frozen=True)
class VersionDiff:
    added: tuple[str, ...]  # external_ids in the new version only, sorted
    removed: tuple[str, ...]  # external_ids in the old version only, sorted
    relabeled: tuple[Relabel, ...]  # in both, with a different label, sorted by external_id
    unchanged: int  # in both, with the same label


def _labels_by_external_id(labels: Mapping[str, Any], which: str) -> dict[str, Any]:
    by_external_id: dict[str, Any] = {}
    for external_id, label in labels.items():
        normalized = unicodedata.normalize("NFC", external_id)
        if normalized in by_external_id:
            raise ValueError(f"{which} version: external_id {external_id!r} appears twice after NFC normalisation")
        by_external_id[normalized] = label
    return by_external_id


def diff_versions(old: Mapping[str, Any], new: Mapping[str, Any]) -> VersionDiff:
    """Items added, removed and relabeled from `old` to `new` (each external_id -> label).

    Labels are compared by canonical JSON, the way the hash sees them: 1 and 1.0, or an NFC and an NFD
    spelling of the same text, are the same label; two labels differ here exactly when they would change
    the content hash.
    """
    old_labels = _labels_by_external_id(old, "old")
    new_labels = _labels_by_external_id(new, "new")
    relabeled = []
    unchanged = 0
    for external_id in sorted(old_labels.keys() & new_labels.keys()):
        old_label, new_label = old_labels[external_id], new_labels[external_id]
        if canonical_json(old_label) == canonical_json(new_label):
            unchanged += 1
        else:
            relabeled.append(Relabel(external_id, old_label, new_label))
    return VersionDiff(
        added=tuple(sorted(new_labels.keys() - old_labels.keys())),
        removed=tuple(sorted(old_labels.keys() - new_labels.keys())),
        relabeled=tuple(relabeled),
        unchanged=unchanged,
    )
