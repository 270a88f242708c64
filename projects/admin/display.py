"""Small helpers for admin list columns."""

from __future__ import annotations

from collections.abc import Iterable


def joined(values: Iterable[str] | None) -> str:
    """A JSON list of codes or names as a person reads it: "en, zh", or a dash for none."""
    return ", ".join(str(value) for value in values or []) or "—"
