"""Finding repeated external_ids in a file of a million rows without holding a million strings.

Each id is remembered as its 64-bit hash and its line, 16 bytes a row in two arrays, where
a dict of the ids themselves took about 200 bytes a row (some 200 MB for a million rows).
Equal hashes only make a line suspect: the caller confirms against the ids themselves, so
a hash collision can never refuse a good file.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np


class ExternalIdIndex:
    def __init__(self, hash_function: Callable[[str], int] = hash) -> None:
        self._hash = hash_function
        self._hashes = array("q")
        self._lines = array("q")

    def add(self, external_id: str, line: int) -> None:
        self._hashes.append(self._hash(external_id))
        self._lines.append(line)

    def lines_sharing_a_hash(self) -> set[int]:
        """Lines whose external_id hash appears more than once in the file."""
        if len(self._hashes) < 2:
            return set()
        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        lines = np.frombuffer(self._lines, dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        repeats = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
        if repeats.size == 0:
            return set()
        return {int(line) for line in np.concatenate([lines[order[repeats]], lines[order[repeats + 1]]])}
