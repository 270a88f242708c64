"""The simulated workforce behaves like its profiles, so the demo shows what QA must catch."""

from __future__ import annotations

import random
import statistics

import pytest

from projects.demo.simulation import PROFILES, model_prediction, simulated_answer, simulated_lead_time

TRUTH = {"scenario": "damaged", "resolved": "partly", "hallucination": "yes"}


def _accuracy(profile_name: str, draws: int = 4000) -> float:
    rng = random.Random(5)
    answers = [simulated_answer(rng, PROFILES[profile_name], TRUTH) for _ in range(draws)]
    return sum(answer["scenario"] == TRUTH["scenario"] for answer in answers) / draws


def test_careful_beats_steady_beats_fast_sloppy_and_the_spammer_always_says_the_same():
    careful, steady, sloppy = _accuracy("careful"), _accuracy("steady"), _accuracy("fast_sloppy")
    assert careful == pytest.approx(0.96, abs=0.02)
    assert careful > steady > sloppy
    rng = random.Random(1)
    spam = {tuple(simulated_answer(rng, PROFILES["spammer"], TRUTH).items()) for _ in range(50)}
    assert spam == {(("scenario", "refund"), ("resolved", "yes"), ("hallucination", "no"))}


def test_the_fast_profiles_are_much_faster_than_the_careful_one():
    rng = random.Random(2)
    medians = {
        name: statistics.median(simulated_lead_time(rng, profile) for _ in range(501))
        for name, profile in PROFILES.items()
    }
    assert medians["careful"] > 4 * medians["fast_sloppy"] > medians["spammer"]


def test_same_seed_same_labels():
    def run(seed: int) -> list[dict]:
        rng = random.Random(seed)
        return [simulated_answer(rng, PROFILES["steady"], TRUTH, {"scenario": "refund"}) for _ in range(30)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_the_model_is_less_confident_when_wrong():
    rng = random.Random(9)
    right, wrong = [], []
    for _ in range(500):
        answer, score = model_prediction(rng, TRUTH)
        (right if answer == TRUTH else wrong).append(score)
    assert min(right) >= 0.75 and statistics.mean(wrong) < statistics.mean(right)
