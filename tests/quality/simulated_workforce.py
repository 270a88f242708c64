"""A batch labeled in the database by the demo's simulated workforce, without Label Studio.

Six annotators with the demo's profiles (two careful, two steady, one fast and sloppy, one spammer)
across two vendors; each task labeled by three of them; a share of gold tasks; lead times and
pre-annotation habits as the profiles say. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from projects.demo.conversations import generate_conversations
from projects.demo.simulation import PROFILES, model_prediction, simulated_answer, simulated_lead_time
from projects.labeling.label_config import answer_to_result, parse_label_config
from projects.models import Annotation, Annotator, Batch, LabelingProject, Task
from tests.factories import AnnotatorFactory, BatchFactory, LabelingProjectFactory, UserFactory, VendorFactory

DEMO_CONFIG = (Path(__file__).resolve().parents[2] / "projects" / "demo" / "label_config.xml").read_text()
WORKFORCE = (
    ("alice", "north", "careful"),
    ("ben", "north", "steady"),
    ("carla", "north", "fast_sloppy"),
    ("wang", "south", "careful"),
    ("li", "south", "spammer"),
    ("zhou", "south", "steady"),
)
FIELDS = ("scenario", "resolved", "hallucination")


@dataclass
class SimulatedBatch:
    project: LabelingProject
    batch: Batch
    annotators: dict[str, Annotator]  # username → annotator
    profiles: dict[str, str]  # username → profile name
    truth: dict[int, dict[str, str]]  # task id → true answer per field
    gold_tasks: set[int]

    def annotators_with(self, profile: str) -> list[Annotator]:
        return [self.annotators[name] for name, kind in self.profiles.items() if kind == profile]


def simulate_batch(
    *, seed: int = 11, tasks: int = 150, overlap: int = 3, gold_rate: float = 0.2, project=None
) -> SimulatedBatch:
    rng = random.Random(seed)
    project = project or LabelingProjectFactory(
        slug=f"sim-{seed}", label_config=DEMO_CONFIG, overlap=overlap, qa_first_tasks_in_full=5
    )
    config = parse_label_config(project.label_config)
    vendors = {name: VendorFactory(name=f"Vendor {name}-{seed}", slug=f"{name}-{seed}") for name in ("north", "south")}
    batch = BatchFactory(project=project, vendor=vendors["north"], name=f"sim batch {seed}")
    annotators = {
        username: AnnotatorFactory(user=UserFactory(username=f"{username}-{seed}"), vendor=vendors[vendor])
        for username, vendor, _ in WORKFORCE
    }
    profiles = {username: profile for username, _, profile in WORKFORCE}
    started = timezone.now() - dt.timedelta(days=2)
    truth, gold_tasks, annotations = {}, set(), []
    for index, conversation in enumerate(generate_conversations(rng, tasks)):
        answer = {field: getattr(conversation, field) for field in FIELDS}
        is_gold = rng.random() < gold_rate
        prediction = None if is_gold else model_prediction(rng, answer)[0]
        task = Task.objects.create(
            project=project,
            batch=batch,
            external_id=conversation.external_id,
            data={"dialogue": conversation.turns},
            is_gold=is_gold,
            gold_answer=answer_to_result(config, answer) if is_gold else None,
            status=Task.Status.ANNOTATED,
        )
        truth[task.pk] = answer
        if is_gold:
            gold_tasks.add(task.pk)
        for offset, username in enumerate(rng.sample(sorted(annotators), k=overlap)):
            profile = PROFILES[profiles[username]]
            moment = started + dt.timedelta(minutes=index * 5 + offset)
            annotations.append(
                Annotation(
                    task=task,
                    annotator=annotators[username],
                    result=answer_to_result(config, simulated_answer(rng, profile, answer, prediction)),
                    lead_time=simulated_lead_time(rng, profile),
                    created_at=moment,
                    updated_at=moment,
                )
            )
    Annotation.objects.bulk_create(annotations)
    return SimulatedBatch(project, batch, annotators, profiles, truth, gold_tasks)
