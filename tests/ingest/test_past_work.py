"""A Label Studio export brings its past work: annotations with their own times, lead times and annotators."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.ingest.errors import ImportRefused
from projects.ingest.services import import_tasks
from projects.models import Annotation, AnnotatorAccount, LabelStudioConnection, LabelTally, Task, TaskImport
from projects.reporting.tallies import refresh_stale_tallies
from tests.actors import SYSTEM
from tests.factories import AnnotatorFactory, BatchFactory, VendorFactory


def _choice(value: str, control: str = "scenario") -> list[dict]:
    return [{"from_name": control, "to_name": "message", "type": "choices", "value": {"choices": [value]}}]


def _annotation(completed_by, *, created_at: str, lead_time: float | None = 8.5, result=None, **more) -> dict:
    result = _choice("refund") if result is None else result
    return {
        "id": more.pop("id", 1), "completed_by": completed_by, "result": result, "was_cancelled": False,
        "ground_truth": False, "created_at": created_at, "lead_time": lead_time, **more,
    }  # fmt: skip


def _export(tmp_path, tasks: list[dict], name: str = "history.json"):
    path = tmp_path / name
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def team(db):
    """A vendor with three annotators, one of them known on the vendor's Label Studio server as user 41."""
    vendor = VendorFactory()
    annotators = [AnnotatorFactory(vendor=vendor) for _ in range(3)]
    connection = LabelStudioConnection.objects.create(name="ls-team", url="http://127.0.0.1:9", vendor=vendor)
    AnnotatorAccount.objects.create(
        annotator=annotators[2], connection=connection, label_studio_user_id=41, email="someone@example.com"
    )
    return vendor, annotators


def test_past_work_comes_with_its_own_times_lead_times_and_annotators(triage_project, team, tmp_path):
    vendor, (alice, bob, carol) = team
    batch = BatchFactory(project=triage_project, vendor=vendor, name="october")
    path = _export(tmp_path, [
        {"id": 501, "data": {"message": "Parcel never came", "reply": "亲，正在查询"}, "annotations": [
            _annotation({"id": 7, "email": alice.user.email.upper()}, created_at="2026-10-05T09:12:00Z"),
            _annotation(bob.user.email, created_at="2026-10-06T14:30:00+08:00", lead_time=31.25,
                        result=_choice("not_received")),
        ]},
        {"id": 502, "data": {"message": "Box was crushed", "reply": "抱歉"}, "annotations": [
            _annotation(41, created_at="2026-10-07T22:05:00Z", updated_at="2026-10-08T08:00:00Z"),
            {"id": 9, "ground_truth": True, "result": _choice("damaged"), "completed_by": 1},
        ]},
        {"id": 503, "data": {"message": "Where is my refund", "reply": "好的"}, "annotations": [
            _annotation(alice.user.email, created_at="2026-10-08T10:00:00Z", result=[], was_cancelled=True),
        ]},
        {"id": 504, "data": {"message": "Not yet labeled", "reply": "稍等"}, "annotations": []},
    ])  # fmt: skip

    result = import_tasks(project=triage_project, path=path, batch=batch, actor=SYSTEM)

    assert (result.task_count, result.gold_count, result.past_work_count) == (4, 1, 4)
    rows = {
        (annotation.task.external_id, annotation.annotator): annotation
        for annotation in Annotation.objects.select_related("task", "annotator")
    }
    first = rows[("501", alice)]
    assert (first.created_at, first.updated_at) == (dt.datetime(2026, 10, 5, 9, 12, tzinfo=dt.UTC),) * 2
    assert (first.lead_time, first.result, first.label_studio_user_id) == (8.5, _choice("refund"), 7)
    assert rows[("501", bob)].created_at == dt.datetime(2026, 10, 6, 6, 30, tzinfo=dt.UTC)
    assert rows[("501", bob)].lead_time == 31.25
    assert rows[("502", carol)].updated_at == dt.datetime(2026, 10, 8, 8, 0, tzinfo=dt.UTC)
    assert rows[("503", alice)].was_cancelled
    assert all(annotation.connection is None and annotation.config_version is None for annotation in rows.values())
    statuses = dict(Task.objects.values_list("external_id", "status"))
    assert statuses == {"501": "annotated", "502": "annotated", "503": "skipped", "504": "new"}
    assert Task.objects.get(external_id="502").gold_answer == _choice("damaged")
    # The history counts on the days it was made.
    refresh_stale_tallies()
    days = {(row.annotator, row.day): row.labels for row in LabelTally.objects.filter(batch=batch)}
    assert days[(alice, dt.date(2026, 10, 5))] == 1 and days[(carol, dt.date(2026, 10, 7))] == 1


# What is wrong in the export → (task index, field, part of the message).
BAD_EXPORTS = {
    "unknown control": (0, "annotations[0].result", "from_name 'senario' is not a control"),
    "task without data": (1, "data", "task '902': missing: a Label Studio task keeps what annotators see"),
    "author who is not an annotator": (
        0,
        "annotations[1].completed_by",
        "user 12 (stranger@example.com) cannot be mapped: no annotator of vendor",
    ),
    "author known by id nowhere": (1, "annotations[0].completed_by", "Label Studio user 77 cannot be mapped"),
    "no time": (0, "annotations[1].created_at", "past work needs the time it was made"),
}


def _bad_export(case: str, annotator) -> list[dict]:
    email = annotator.user.email
    first = [
        _annotation(email, created_at="2026-10-05T09:00:00Z"),
        _annotation(email, created_at="2026-10-05T10:00:00Z"),
    ]
    second: dict = {"id": 902, "data": {"message": "Late", "reply": "稍等"}, "annotations": []}
    if case == "unknown control":
        first[0]["result"] = _choice("refund", control="senario")
    elif case == "task without data":
        second = {"id": 902, "annotations": [_annotation(email, created_at="2026-10-05T11:00:00Z")]}
    elif case == "author who is not an annotator":
        first[1]["completed_by"] = {"id": 12, "email": "stranger@example.com"}
    elif case == "author known by id nowhere":
        second["annotations"] = [_annotation(77, created_at="2026-10-05T11:00:00Z")]
    elif case == "no time":
        del first[1]["created_at"]
    return [{"id": 901, "data": {"message": "Parcel", "reply": "亲"}, "annotations": first}, second]


@pytest.mark.parametrize("case", sorted(BAD_EXPORTS))
def test_a_bad_export_names_task_and_field_and_writes_nothing(triage_project, team, tmp_path, case):
    vendor, annotators = team
    batch = BatchFactory(project=triage_project, vendor=vendor)
    index, field, fragment = BAD_EXPORTS[case]
    path = _export(tmp_path, _bad_export(case, annotators[0]))

    with pytest.raises(ImportRefused) as refused:
        import_tasks(project=triage_project, path=path, batch=batch, actor=SYSTEM)

    lines = path.read_text().splitlines()
    line = [number for number, text in enumerate(lines, 1) if text == "  {"][index]
    [error] = refused.value.errors
    assert (error.line, error.field) == (line, field)
    assert fragment in error.message
    assert (Task.objects.count(), Annotation.objects.count(), TaskImport.objects.count()) == (0, 0, 0)


def test_an_annotator_of_another_vendor_is_not_credited_with_the_batch_vendors_work(triage_project, team, tmp_path):
    vendor, _ = team
    rival = AnnotatorFactory()
    path = _export(tmp_path, _bad_export("none", rival))

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_tasks", triage_project.slug, str(path), "--batch",
            BatchFactory(project=triage_project, vendor=vendor).name, "--no-progress",
        )  # fmt: skip

    assert f"no annotator of vendor {vendor} has the e-mail {rival.user.email}" in str(refused.value)
    assert Annotation.objects.count() == 0
