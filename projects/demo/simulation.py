"""Simulated annotators for the demo: how each profile answers and how long it takes.

Pure functions over a seeded random.Random, so the same seed gives the same labels.
The profiles are the workforce a labeling-operations team meets in practice: a careful
expert, steady people, someone fast and sloppy, and a spammer who clicks one answer.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from projects.demo.conversations import HALLUCINATION_VALUES, RESOLVED_VALUES, SCENARIOS

FIELDS: dict[str, tuple[str, ...]] = {
    "scenario": tuple(SCENARIOS),
    "resolved": RESOLVED_VALUES,
    "hallucination": HALLUCINATION_VALUES,
}


@dataclass(frozen=True)
class Profile:
    name: str
    # Chance of giving the true answer, per field.
    accuracy: dict[str, float]
    # Lead time in seconds: log-normal around the median.
    median_seconds: float
    spread: float
    # A spammer's one answer for every task, whatever it shows.
    fixed_answer: dict[str, str] | None = None
    # Chance of keeping the model's pre-annotation when there is one, right or wrong.
    keeps_prediction: float = 0.0


PROFILES: dict[str, Profile] = {
    "careful": Profile(
        "careful", {"scenario": 0.96, "resolved": 0.92, "hallucination": 0.95}, median_seconds=75, spread=0.3
    ),
    "steady": Profile(
        "steady",
        {"scenario": 0.88, "resolved": 0.82, "hallucination": 0.86},
        median_seconds=48,
        spread=0.35,
        keeps_prediction=0.15,
    ),
    "fast_sloppy": Profile(
        "fast_sloppy",
        {"scenario": 0.62, "resolved": 0.55, "hallucination": 0.7},
        median_seconds=13,
        spread=0.4,
        keeps_prediction=0.5,
    ),
    "spammer": Profile(
        "spammer",
        {},
        median_seconds=6,
        spread=0.25,
        fixed_answer={"scenario": "refund", "resolved": "yes", "hallucination": "no"},
    ),
}


def simulated_answer(
    rng: random.Random, profile: Profile, truth: dict[str, str], prediction: dict[str, str] | None = None
) -> dict[str, str]:
    """The short-form answer ({"scenario": ..., ...}) a person of this profile gives."""
    if profile.fixed_answer is not None:
        return dict(profile.fixed_answer)
    answer = {}
    for field, values in FIELDS.items():
        if prediction and field in prediction and rng.random() < profile.keeps_prediction:
            answer[field] = prediction[field]
        elif rng.random() < profile.accuracy.get(field, 0.0):
            answer[field] = truth[field]
        else:
            answer[field] = rng.choice([value for value in values if value != truth[field]])
    return answer


def simulated_lead_time(rng: random.Random, profile: Profile) -> float:
    """Seconds spent on one task, log-normal around the profile's median, at least one second."""
    return round(max(1.0, profile.median_seconds * math.exp(rng.gauss(0.0, profile.spread))), 1)


def model_prediction(rng: random.Random, truth: dict[str, str], accuracy: float = 0.8) -> tuple[dict[str, str], float]:
    """A demo model's answer and its confidence: right about `accuracy` of the time, less sure when wrong."""
    answer = {}
    right = True
    for field, values in FIELDS.items():
        if rng.random() < accuracy:
            answer[field] = truth[field]
        else:
            answer[field] = rng.choice([value for value in values if value != truth[field]])
            right = False
    score = rng.uniform(0.75, 0.98) if right else rng.uniform(0.4, 0.8)
    return answer, round(score, 3)
