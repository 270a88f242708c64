"""`manage.py report` writes a project's weekly report: an HTML page with charts and CSV tables, optionally e-mailed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.admin.test_dashboard import WEEK, make_world

pytestmark = pytest.mark.django_db


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_report_writes_the_weeks_figures_as_html_and_csv(tmp_path):
    world = make_world(tasks_per_vendor=9)

    call_command("report", world.project.slug, "--week", WEEK, "--output", str(tmp_path))

    stem = f"{world.project.slug}-{WEEK}"
    page = (tmp_path / f"{stem}.html").read_text(encoding="utf-8")
    assert "Weekly report 2026-W47: 2026-11-16 to 2026-11-22" in page
    assert "Tasks annotated <strong>18</strong>" in page
    assert 'data-series="annotated tasks"' in page and 'class="bar"' in page
    assert "Gold accuracy 0.50 is below 0.90." in page  # the week's SLA event, and a risk

    deliveries = _rows(tmp_path / f"{stem}-deliveries.csv")
    assert [row["day"] for row in deliveries] == [f"2026-11-{day}" for day in range(16, 23)]
    # Tasks 0..8 per vendor on day number % 7: Monday and Tuesday get two each, the rest one.
    assert [int(row["labels"]) for row in deliveries] == [4, 4, 2, 2, 2, 2, 2]
    assert sum(int(row["annotated_tasks"]) for row in deliveries) == 18

    quality = {row["vendor"]: row for row in _rows(tmp_path / f"{stem}-quality.csv")}
    assert quality["Lingua Works"]["gold_seen"] == "3" and quality["Lingua Works"]["gold_correct"] == "1"
    assert quality["Lingua Works"]["qa_reviewed"] == "4" and quality["Lingua Works"]["qa_reviews_accepted"] == "2"
    assert float(quality["Lingua Works"]["qa_low"]) < 0.5 < float(quality["Lingua Works"]["qa_high"])
    assert quality["华语数据 Huayu Data"]["gold_accuracy"] == "1.000"

    errors = _rows(tmp_path / f"{stem}-errors.csv")
    assert errors == [
        {"error_category": "missed evidence", "reviews": "1"},
        {"error_category": "wrong scenario", "reviews": "1"},
    ]

    events = _rows(tmp_path / f"{stem}-sla-events.csv")
    assert [(row["vendor"], row["from_state"], row["to_state"]) for row in events] == [
        ("Lingua Works", "on_track", "breached")
    ]
    costs = {row["vendor"]: row for row in _rows(tmp_path / f"{stem}-costs.csv")}
    assert costs["Lingua Works"]["total_cost"] == "4.50" and costs["Lingua Works"]["labels"] == "9"
    # QA rejected some, but none was sent back to rework: every label is kept, and paid.
    assert costs["Lingua Works"]["kept_labels"] == "9" and "accepted_labels" not in costs["Lingua Works"]


def test_another_week_has_none_of_these_figures(tmp_path):
    world = make_world(tasks_per_vendor=4)

    call_command("report", world.project.slug, "--week", "2026-W46", "--output", str(tmp_path))

    deliveries = _rows(tmp_path / f"{world.project.slug}-2026-W46-deliveries.csv")
    assert sum(int(row["labels"]) for row in deliveries) == 0
    assert _rows(tmp_path / f"{world.project.slug}-2026-W46-sla-events.csv") == []
    page = (tmp_path / f"{world.project.slug}-2026-W46.html").read_text(encoding="utf-8")
    assert "Project to date <strong>0 / " in page  # as of that week's end, not today


def test_the_report_is_emailed_with_the_page_attached(tmp_path, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = make_world(tasks_per_vendor=3)

    call_command("report", world.project.slug, "--week", WEEK, "--output", str(tmp_path), "--email", "pm@example.com")

    [message] = mail.outbox
    assert message.to == ["pm@example.com"]
    assert "2026-W47" in message.subject
    [(name, content, mimetype)] = message.attachments
    assert name == f"{world.project.slug}-{WEEK}.html" and mimetype == "text/html"
    assert "<svg" in content


def test_a_malformed_week_or_unknown_project_is_refused(tmp_path):
    world = make_world(tasks_per_vendor=1)

    with pytest.raises(CommandError, match="ISO week"):
        call_command("report", world.project.slug, "--week", "2026-47", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="No project"):
        call_command("report", "nope", "--week", WEEK, "--output", str(tmp_path))
