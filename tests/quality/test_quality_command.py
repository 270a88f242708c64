"""`manage.py quality`: per batch, gold accuracy, agreement, majority vote against Dawid-Skene, sampling weights."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects.models import ItemConsensus, QASample, Task
from tests.quality.simulated_workforce import simulate_batch

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("quality", *args, "--resamples", "20", stdout=out)
    return out.getvalue()


@pytest.fixture
def answer_key(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    simulated = simulate_batch(seed=11)
    external_ids = dict(Task.objects.filter(project=simulated.project).values_list("id", "external_id"))
    key = tmp_path / "demo" / "answer-key.json"
    key.parent.mkdir()
    key.write_text(json.dumps({external_ids[task]: answer for task, answer in simulated.truth.items()}))
    return simulated


def test_the_report_shows_each_figure_and_dawid_skene_beats_majority_vote_against_the_answer_key(answer_key):
    output = run(answer_key.project.slug)

    assert "Gold accuracy per annotator" in output
    assert re.search(r"alice-11\s+Vendor north-11\s+0\.\d\d \[0\.\d\d, [01]\.\d\d\]", output)
    assert "scenario       krippendorff_alpha" in output
    assert "pair alice-11 / ben-11 · cohen_kappa" in output
    accuracy = re.search(
        r"scenario\s+method dawid_skene · against the answer key: majority vote (\d+)/(\d+).*Dawid-Skene (\d+)/", output
    )
    assert accuracy and int(accuracy[3]) >= int(accuracy[1])
    weights = dict(re.findall(r"^\s+(\S+)\s+weight\s+([\d.]+)", output, flags=re.MULTILINE))
    assert float(weights["li-11"]) > float(weights["alice-11"]) and float(weights["carla-11"]) > float(
        weights["wang-11"]
    )
    assert "low_gold_accuracy" in output
    # A report: nothing stored.
    assert not ItemConsensus.objects.exists() and not QASample.objects.exists()


def test_without_an_answer_key_the_report_leaves_the_comparison_out(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    simulated = simulate_batch(seed=3, tasks=30)

    output = run(simulated.project.slug, "--batch", str(simulated.batch.pk))

    assert "answer key" not in output and "QA sampling (seed 0)" in output


def test_an_unknown_project_or_batch_is_a_plain_error(triage_project):
    with pytest.raises(CommandError, match='No project with the slug "nope"'):
        run("nope")
    with pytest.raises(CommandError, match="no batch with id 999"):
        run(triage_project.slug, "--batch", "999")
