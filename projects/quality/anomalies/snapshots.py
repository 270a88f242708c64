"""Anomaly flags kept per project (FlagSnapshot), so the dashboard reads a row instead of every annotator's labels.

The refresh task (after every pull and on the beat: projects/reporting/refresh.py) recomputes the snapshot of every
project whose labels changed; a reader recomputes it only when it is missing or older than
ANOMALY_FLAGS_MAX_AGE_SECONDS, so a page never waits on the flags right after a pull and never shows flags older
than that.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from projects.models import Annotator, FlagSnapshot, LabelingProject
from projects.quality.anomalies.queries import annotator_flags
from projects.quality.stats.anomalies import Flag

# Flags look at the last four weeks of labels: long enough for an earlier norm, short enough to be current.
FLAG_WINDOW_DAYS = 28


def _max_age() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "ANOMALY_FLAGS_MAX_AGE_SECONDS", 900))


def compute_flag_snapshot(*, project: LabelingProject, now: dt.datetime) -> FlagSnapshot:
    """Flag the project's annotators over the last FLAG_WINDOW_DAYS of labels and keep the result."""
    since = now - dt.timedelta(days=FLAG_WINDOW_DAYS)
    flags = [
        {"annotator": annotator.pk, "flags": [vars(flag) for flag in annotator_flags_]}
        for annotator, annotator_flags_ in annotator_flags(project, since=since).items()
    ]
    # Through the encoder: figures may hold dates or decimals.
    flags = json.loads(DjangoJSONEncoder().encode(flags))
    snapshot, _ = FlagSnapshot.objects.update_or_create(
        project=project, defaults={"flags": flags, "since": since, "computed_at": timezone.now()}
    )
    return snapshot


def is_current(snapshot: FlagSnapshot | None, *, now: dt.datetime) -> bool:
    """Flags as of a moment at most ANOMALY_FLAGS_MAX_AGE_SECONDS before `now` (and not after it)."""
    if snapshot is None:
        return False
    as_of = snapshot.since + dt.timedelta(days=FLAG_WINDOW_DAYS)
    return now - _max_age() <= as_of <= now


def current_flags(
    *, project: LabelingProject, now: dt.datetime
) -> tuple[dt.datetime, list[tuple[Annotator, list[Flag]]]]:
    """When the flags were computed, and the flagged annotators with their flags by vendor name; from the snapshot,
    recomputed if missing or too old."""
    snapshot = FlagSnapshot.objects.filter(project=project).first()
    if not is_current(snapshot, now=now):
        snapshot = compute_flag_snapshot(project=project, now=now)
    by_annotator = {entry["annotator"]: entry["flags"] for entry in snapshot.flags}
    # Queried even when nobody is flagged (pk 0 matches nobody): the page's query count does not depend on its data.
    annotators = Annotator.objects.filter(pk__in=[*by_annotator, 0]).select_related("user", "vendor")
    position = {pk: index for index, pk in enumerate(by_annotator)}
    annotators = sorted(annotators, key=lambda annotator: position[annotator.pk])
    return snapshot.computed_at, [
        (annotator, [Flag(**flag) for flag in by_annotator[annotator.pk]]) for annotator in annotators
    ]
