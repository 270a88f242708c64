"""Repeated external_ids are found from 16 bytes a row, and a hash collision never refuses a good file."""

from __future__ import annotations

import pytest

from projects.ingest import services
from projects.ingest.errors import ImportRefused
from projects.ingest.external_ids import ExternalIdIndex
from projects.ingest.services import import_tasks
from projects.models import Task
from tests.actors import SYSTEM


def test_lines_sharing_a_hash_are_every_place_an_id_repeats():
    index = ExternalIdIndex()
    for line, external_id in enumerate(["a", "b", "a", "c", "a", "b"], start=2):
        index.add(external_id, line)
    assert index.lines_sharing_a_hash() == {2, 3, 4, 6, 7}


def test_no_repeats_no_suspects():
    index = ExternalIdIndex()
    for line in range(1000):
        index.add(f"conv-{line:06d}", line)
    assert index.lines_sharing_a_hash() == set()


def _write(tmp_path, ids):
    path = tmp_path / "tasks.jsonl"
    path.write_text("".join(f'{{"external_id": "{i}", "message": "m", "reply": "r"}}\n' for i in ids))
    return path


def test_a_repeat_three_times_is_named_twice_with_its_first_line(triage_project, tmp_path):
    path = _write(tmp_path, ["t-1", "t-2", "t-1", "t-3", "t-1"])
    with pytest.raises(ImportRefused) as refused:
        import_tasks(project=triage_project, path=path, actor=SYSTEM)
    repeats = [(error.line, error.message) for error in refused.value.errors]
    assert repeats == [(3, "'t-1' appears twice (first on line 1)"), (5, "'t-1' appears twice (first on line 1)")]
    assert Task.objects.count() == 0


def test_a_hash_collision_does_not_refuse_a_good_file(triage_project, tmp_path, monkeypatch):
    # Two different 64-bit string hashes cannot be made equal on demand, so the index is
    # given a hash that sends every id to one value: every line is suspect, none repeats.
    monkeypatch.setattr(services, "ExternalIdIndex", lambda: ExternalIdIndex(hash_function=lambda _: 7))
    path = _write(tmp_path, ["t-1", "t-2", "t-3"])
    result = import_tasks(project=triage_project, path=path, actor=SYSTEM)
    assert result.task_count == 3
    assert sorted(Task.objects.values_list("external_id", flat=True)) == ["t-1", "t-2", "t-3"]
