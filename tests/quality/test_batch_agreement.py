"""Batch agreement as a QA team meets it: per control, vendor and pair, with bootstrap intervals."""

from __future__ import annotations

import pytest

from projects.quality.batch_agreement import compute_agreement
from tests.factories import AnnotatorFactory, BatchFactory, TaskFactory
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


def test_agreement_per_control_vendor_and_pair_with_deterministic_bootstrap_intervals(simulated):
    first = compute_agreement(batch=simulated.batch, resamples=100, seed=3)
    again = compute_agreement(batch=simulated.batch, resamples=100, seed=3)

    assert first == again
    batch_level = {(figure.control, figure.statistic): figure for figure in first.by_scope("batch")}
    assert set(batch_level) >= {("scenario", "krippendorff_alpha"), ("scenario", "fleiss_kappa")}
    alpha = batch_level[("scenario", "krippendorff_alpha")]
    assert alpha.items == 150 and alpha.low <= alpha.value <= alpha.high
    assert {figure.subject for figure in first.by_scope("vendor")} == {"Vendor north-11", "Vendor south-11"}
    pairs = [figure for figure in first.by_scope("pair") if figure.control == "scenario"]
    assert len(pairs) == 15 and {figure.statistic for figure in pairs} == {"cohen_kappa"}
    kappas = {figure.subject: figure.value for figure in pairs}
    assert kappas["alice-11 / wang-11"] > kappas["li-11 / wang-11"]


def test_agreement_without_overlap_is_undefined_and_says_why(triage_project):
    batch = BatchFactory(project=triage_project)
    label(TaskFactory(project=triage_project, batch=batch), AnnotatorFactory(), choice("scenario", "refund"))

    figures = compute_agreement(batch=batch, resamples=10).figures

    alpha = next(figure for figure in figures if figure.statistic == "krippendorff_alpha")
    assert (alpha.value, alpha.items, alpha.dropped_items, alpha.low) == (None, 0, 1, None)
    assert alpha.reason
