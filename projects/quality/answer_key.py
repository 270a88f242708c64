"""An answer key: the known right answer per task (by external id), to measure aggregation against.

The demo writes one for its simulated workforce; a team can write one from an expert-labeled set. It never reaches
annotators and is never pushed.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings


def default_answer_key_path() -> Path:
    return settings.VAR_DIR / "demo" / "answer-key.json"


def load_answer_key(path: Path | None = None) -> dict[str, dict[str, str]]:
    """{external id: {control: answer}}; empty when there is no key at `path` (the demo's place by default)."""
    path = path or default_answer_key_path()
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
