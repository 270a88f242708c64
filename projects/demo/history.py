"""Four weeks of the demo's past, brought in as a team brings its history: a Label Studio export, imported.

Each earlier week each vendor had a batch; its export is generated as Label Studio would have written it (each
annotation with its own created_at, lead_time and completed_by, the gold tasks' reference label marked
ground_truth) and imported through the Label Studio JSON importer, which keeps that past work as it was. The
story it tells: labels on working days and hours in each vendor's time zone, fewer at weekends; the spammer of
Huayu Data joins in the second week; Huayu Data slows down in the third week (longer lead times, a batch that
spills over its due date).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from projects.demo import DEMO
from projects.demo.conversations import Conversation, generate_conversations
from projects.demo.simulation import PROFILES, model_prediction, simulated_answer, simulated_lead_time
from projects.ingest.services import import_tasks
from projects.labeling.batch_status import advance_batch_status
from projects.labeling.label_config import LabelConfig, answer_to_result
from projects.models import Batch, LabelingProject, Vendor

HISTORY_WEEKS = ("2026-W43", "2026-W44", "2026-W45", "2026-W46")
SPAMMER_JOINS = "2026-W44"
SLOW_WEEK, SLOW_VENDOR = "2026-W45", "huayu-data"
# Working hours (09:00 to 18:00) as UTC hours, per vendor: Lingua Works works in UTC, Huayu Data in Shanghai.
WORKING_HOURS_UTC = {"lingua-works": (9, 18), "huayu-data": (1, 10)}
SHORT_NAMES = {"lingua-works": "Lingua Works", "huayu-data": "Huayu Data"}
# How much work lands on each weekday (Monday first): weekends are quiet, not empty.
DAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.25, 0.1)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    profile: str
    label_studio_user_id: int


def history_batches(project: LabelingProject) -> list[Batch]:
    return list(project.batches.filter(name__regex=r"^(" + "|".join(HISTORY_WEEKS) + r") "))


def import_history(
    *,
    project: LabelingProject,
    config: LabelConfig,
    people: dict[str, list[DemoPerson]],
    rng: random.Random,
    tasks_per_batch: int,
    start_index: int,
    now: dt.datetime,
) -> list[Conversation]:
    """One batch per earlier week and vendor, each imported from its generated Label Studio export."""
    this_monday = (now - dt.timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    everything: list[Conversation] = []
    for weeks_back, week in zip(range(len(HISTORY_WEEKS) + 1, 1, -1), HISTORY_WEEKS, strict=True):
        monday = this_monday - dt.timedelta(weeks=weeks_back)
        for vendor in Vendor.objects.filter(slug__in=list(people)).order_by("slug"):
            conversations = generate_conversations(rng, tasks_per_batch, start_index=start_index)
            start_index += tasks_per_batch
            everything += conversations
            team = [person for person in people[vendor.slug] if week >= SPAMMER_JOINS or person.profile != "spammer"]
            slow = (week, vendor.slug) == (SLOW_WEEK, SLOW_VENDOR)
            export = _export(conversations, config, team, rng, vendor.slug, monday, slow=slow, project=project)
            _import_week(project, f"{week} {SHORT_NAMES[vendor.slug]}", vendor, monday, export)
    return everything


def _import_week(project: LabelingProject, name: str, vendor: Vendor, monday: dt.datetime, export: list) -> None:
    batch = Batch.objects.create(
        project=project, name=name, vendor=vendor, target_count=len(export), due_at=monday + dt.timedelta(days=7),
        status=Batch.Status.PUSHED,
    )  # fmt: skip
    # Handed to the vendor on its Monday morning: the SLA figures count its turnaround from then.
    Batch.objects.filter(pk=batch.pk).update(created_at=monday + dt.timedelta(hours=8))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.json"
        path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
        import_tasks(project=project, path=path, file_name=path.name, batch=batch, actor=DEMO)
    advance_batch_status([batch.pk])


def _export(
    conversations: list[Conversation],
    config: LabelConfig,
    team: list[DemoPerson],
    rng: random.Random,
    vendor_slug: str,
    monday: dt.datetime,
    *,
    slow: bool,
    project: LabelingProject,
) -> list[dict]:
    """The week's tasks as Label Studio exports them, each labeled by `overlap` of the team."""
    days = 12 if slow else 7  # a slow week spills into the next
    tasks = []
    for number, conversation in enumerate(conversations):
        truth = {key: getattr(conversation, key) for key in ("scenario", "resolved", "hallucination")}
        prediction, score = model_prediction(rng, truth)
        is_gold = rng.random() < float(project.gold_rate)
        annotations = [
            _annotation(rng, config, person, truth, prediction, vendor_slug, monday, days, slow=slow)
            for person in rng.sample(team, k=min(project.overlap, len(team)))
        ]
        if is_gold:
            annotations.append({"id": None, "ground_truth": True, "result": answer_to_result(config, truth)})
        tasks.append(
            {
                "id": 900000 + number,
                "data": {"dialogue": conversation.turns},
                "meta": {"external_id": conversation.external_id},
                "annotations": annotations,
                "predictions": [
                    {
                        "model_version": "triage-bot-2026.10",
                        "score": score,
                        "result": answer_to_result(config, prediction),
                    }
                ],
            }
        )
    return tasks


def _annotation(
    rng: random.Random,
    config: LabelConfig,
    person: DemoPerson,
    truth: dict[str, str],
    prediction: dict[str, str],
    vendor_slug: str,
    monday: dt.datetime,
    days: int,
    *,
    slow: bool,
) -> dict:
    profile = PROFILES[person.profile]
    lead_time = simulated_lead_time(rng, profile) * (1.7 if slow else 1.0)
    made_at = _working_moment(rng, vendor_slug, monday, days)
    first_name, _, last_name = person.full_name.partition(" ")
    return {
        "id": rng.randrange(10**6, 10**7),
        "completed_by": {
            "id": person.label_studio_user_id,
            "email": f"{person.username}@annotate.local",
            "first_name": first_name,
            "last_name": last_name,
        },
        "result": answer_to_result(config, simulated_answer(rng, profile, truth, prediction)),
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": made_at.isoformat().replace("+00:00", "Z"),
        "updated_at": made_at.isoformat().replace("+00:00", "Z"),
        "lead_time": round(lead_time, 1),
    }


def _working_moment(rng: random.Random, vendor_slug: str, monday: dt.datetime, days: int) -> dt.datetime:
    """A moment in the vendor's working hours on one of the `days` from Monday, weekdays weighted over weekends."""
    offsets = list(range(days))
    day = rng.choices(offsets, weights=[DAY_WEIGHTS[offset % 7] for offset in offsets])[0]
    start, end = WORKING_HOURS_UTC[vendor_slug]
    seconds = rng.randrange((end - start) * 3600)
    moment = monday + dt.timedelta(days=day, hours=start, seconds=seconds)
    return min(moment, timezone.now() - dt.timedelta(days=7))
