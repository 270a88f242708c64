"""The admin lists projects and batches with progress counts, without one query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.reporting.tallies import refresh_stale_tallies
from tests.factories import AnnotationFactory, BatchFactory, LabelingProjectFactory, TaskFactory


@pytest.fixture
def pm_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("pm", "pm@example.com", "a-long-test-password")
    client.force_login(user)
    return client


def _make_projects(count: int) -> None:
    for _ in range(count):
        project = LabelingProjectFactory()
        batch = BatchFactory(project=project)
        tasks = [TaskFactory(project=project, batch=batch) for _ in range(3)]
        AnnotationFactory(task=tasks[0])
        AnnotationFactory(task=tasks[0])
        AnnotationFactory(task=tasks[1], is_deleted=True)


def _queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("url", ["/admin/projects/labelingproject/", "/admin/projects/batch/"])
def test_list_query_count_does_not_grow_with_rows(pm_client, url):
    # Once the batches are counted (the beat and every pull recount them), as a PM usually finds them.
    _make_projects(2)
    refresh_stale_tallies()
    few, _ = _queries_for(pm_client, url)
    _make_projects(6)
    refresh_stale_tallies()
    many, _ = _queries_for(pm_client, url)
    assert many == few


def test_lists_recount_a_batch_whose_labels_changed_since_it_was_counted(pm_client):
    project = LabelingProjectFactory(name="Refund triage")
    batch = BatchFactory(project=project, name="week 47")
    tasks = [TaskFactory(project=project, batch=batch) for _ in range(3)]
    AnnotationFactory(task=tasks[0])
    _, page = _queries_for(pm_client, "/admin/projects/batch/")
    assert "1 / 3" in page

    AnnotationFactory(task=tasks[1])  # a label arrives after the batch was counted
    TaskFactory(project=project, batch=batch)  # and a task

    _, page = _queries_for(pm_client, "/admin/projects/batch/")
    assert "2 / 4" in page
    _, page = _queries_for(pm_client, "/admin/projects/labelingproject/")
    assert "2 / 4" in page


def test_project_list_shows_annotated_and_total_tasks(pm_client):
    project = LabelingProjectFactory(name="Refund triage")
    tasks = [TaskFactory(project=project) for _ in range(4)]
    AnnotationFactory(task=tasks[0])
    AnnotationFactory(task=tasks[0])  # overlap: a second label on the same task counts once
    AnnotationFactory(task=tasks[1], is_deleted=True)  # deleted in Label Studio: not annotated
    AnnotationFactory(task=tasks[2], was_cancelled=True)  # skipped: not annotated

    _, page = _queries_for(pm_client, "/admin/projects/labelingproject/")

    assert "Refund triage" in page
    assert "1 / 4" in page


def test_task_list_and_import_page_open(pm_client):
    project = LabelingProjectFactory()
    TaskFactory(project=project, external_id="conv-000001")
    _, page = _queries_for(pm_client, "/admin/projects/task/")
    assert "conv-000001" in page
    _, page = _queries_for(pm_client, f"/admin/projects/labelingproject/{project.pk}/import/")
    assert "checked before anything is written" in page


def test_import_page_shows_every_error_and_writes_nothing(pm_client, triage_project):
    from pathlib import Path

    bad = Path(__file__).parents[1] / "ingest" / "files" / "bad" / "duplicate_external_id.csv"
    with bad.open("rb") as upload:
        response = pm_client.post(f"/admin/projects/labelingproject/{triage_project.pk}/import/", {"file": upload})
    assert response.status_code == 200
    assert "duplicate_external_id.csv:4: external_id: &#x27;t-1&#x27; appears twice" in response.content.decode()
    assert triage_project.tasks.count() == 0


def test_import_page_imports_a_good_file(pm_client, triage_project):
    from pathlib import Path

    good = Path(__file__).parents[1] / "ingest" / "files" / "good" / "mandarin_gb18030.csv"
    with good.open("rb") as upload:
        response = pm_client.post(
            f"/admin/projects/labelingproject/{triage_project.pk}/import/", {"file": upload}, follow=True
        )
    assert "Imported 4 tasks (2 gold) from mandarin_gb18030.csv" in response.content.decode()
    assert triage_project.tasks.count() == 4
