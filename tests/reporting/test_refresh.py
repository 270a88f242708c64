"""The refresh after a pull: stale batches recounted, and the flags of their projects (only theirs) recomputed."""

from __future__ import annotations

import pytest

from projects.jobs import refresh_dashboards_task
from projects.models import BatchTally, FlagSnapshot
from projects.reporting.refresh import refresh_dashboards
from tests.factories import AnnotationFactory, BatchFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_refresh_recounts_stale_batches_and_recomputes_only_their_projects_flags():
    changed, quiet = BatchFactory(), BatchFactory()
    for batch in (changed, quiet):
        AnnotationFactory(task=TaskFactory(project=batch.project, batch=batch))
    assert refresh_dashboards().batches == 2
    before = {snapshot.project_id: snapshot.computed_at for snapshot in FlagSnapshot.objects.all()}
    assert set(before) == {changed.project_id, quiet.project_id}

    AnnotationFactory(task=TaskFactory(project=changed.project, batch=changed))
    result = refresh_dashboards_task.delay().get()

    assert result == {"batches": 1, "projects": 1}
    assert BatchTally.objects.get(batch=changed).annotated_tasks == 2
    after = {snapshot.project_id: snapshot.computed_at for snapshot in FlagSnapshot.objects.all()}
    assert after[changed.project_id] > before[changed.project_id]
    assert after[quiet.project_id] == before[quiet.project_id]
    assert refresh_dashboards().batches == 0  # nothing left to do: a rerun is a no-op
