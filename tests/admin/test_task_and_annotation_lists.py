"""The task and annotation lists stay fast at millions of rows: constant queries, an estimated count, deep pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.admin.pagination import LargeTablePaginator
from projects.admin.tasks import AnnotationAdmin, TaskAdmin
from projects.models import Annotation, Task
from tests.factories import AnnotationFactory, AnnotatorFactory, BatchFactory, LabelingProjectFactory, TaskFactory

TASKS = "/admin/projects/task/"
ANNOTATIONS = "/admin/projects/annotation/"
on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate reads PostgreSQL's pg_class")


@pytest.fixture
def pm_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("pm", "pm@example.com", "a-long-test-password")
    client.force_login(user)
    return client


def _make_labeled_batches(count: int) -> None:
    """Each batch in its own project, from its own vendor: 3 tasks, each labeled once by one of 2 annotators."""
    for _ in range(count):
        batch = BatchFactory(project=LabelingProjectFactory())
        annotators = [AnnotatorFactory(vendor=batch.vendor) for _ in range(2)]
        for number in range(3):
            task = TaskFactory(project=batch.project, batch=batch)
            AnnotationFactory(task=task, annotator=annotators[number % 2])


def _get(client, url: str) -> tuple[list[str], str]:
    """The page's SQL and its text without tags."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return [query["sql"] for query in queries.captured_queries], " ".join(text.split())


def _analyze() -> None:
    with connection.cursor() as cursor:
        for model in (Task, Annotation):
            cursor.execute(f"ANALYZE {model._meta.db_table}")


@pytest.mark.parametrize(
    "url",
    [
        TASKS,
        f"{TASKS}?o=3",  # by batch
        f"{TASKS}?q=task",
        ANNOTATIONS,
        f"{ANNOTATIONS}?o=2",  # by task
        f"{ANNOTATIONS}?o=-3",  # by annotator
    ],
)
def test_list_query_count_does_not_grow_with_rows(pm_client, url):
    _make_labeled_batches(1)
    few, _ = _get(pm_client, url)
    _make_labeled_batches(9)
    many, page = _get(pm_client, url)
    assert len(many) == len(few)
    assert "30 " in page


def test_lists_show_each_row_with_its_batch_task_and_annotator(pm_client):
    project = LabelingProjectFactory(slug="refunds")
    batch = BatchFactory(project=project, name="week 47", vendor__name="Acme Labeling")
    task = TaskFactory(project=project, batch=batch, external_id="conv-000001")
    AnnotationFactory(task=task, annotator=AnnotatorFactory(vendor=batch.vendor, user__username="li.wei"))

    _, tasks = _get(pm_client, TASKS)
    _, annotations = _get(pm_client, ANNOTATIONS)

    assert "conv-000001" in tasks
    assert "refunds / week 47" in tasks
    assert "refunds:conv-000001" in annotations
    assert "li.wei (Acme Labeling)" in annotations


def test_small_lists_are_counted_exactly(pm_client):
    _make_labeled_batches(2)
    _analyze()

    _, tasks = _get(pm_client, TASKS)
    _, annotations = _get(pm_client, ANNOTATIONS)

    assert "6 tasks" in tasks
    assert "about" not in tasks
    assert "6 annotations" in annotations


@on_postgresql
def test_a_big_unfiltered_list_shows_the_tables_estimated_size_without_counting(pm_client, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "exact_below", 1)
    _make_labeled_batches(10)
    _analyze()

    sql, tasks = _get(pm_client, TASKS)
    _, annotations = _get(pm_client, ANNOTATIONS)

    assert "about 30 tasks" in tasks
    assert "about 30 annotations" in annotations
    assert not any("COUNT(" in query for query in sql)
    # The search bar has no search result to count.
    assert "30 results" not in tasks


@on_postgresql
def test_a_filtered_list_is_counted_exactly(pm_client, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "exact_below", 1)
    _make_labeled_batches(10)
    _analyze()
    project = Task.objects.order_by("pk").first().project

    _, page = _get(pm_client, f"{TASKS}?project__id__exact={project.pk}")
    _, searched = _get(pm_client, f"{TASKS}?q=task")

    assert "3 tasks" in page
    assert "about" not in page
    assert "30 results" in searched


@pytest.mark.parametrize(("admin_class", "model"), [(TaskAdmin, Task), (AnnotationAdmin, Annotation)])
def test_every_page_shows_the_right_rows_with_a_constant_query_count(pm_client, monkeypatch, admin_class, model):
    monkeypatch.setattr(admin_class, "list_per_page", 4)
    _make_labeled_batches(5)
    newest_first = list(model.objects.order_by("-pk").values_list("pk", flat=True))
    change_link = re.compile(rf"/admin/projects/{model._meta.model_name}/(\d+)/change/")

    query_counts = set()
    for number in (1, 2, 3, 4):
        with CaptureQueriesContext(connection) as queries:
            response = pm_client.get(f"/admin/projects/{model._meta.model_name}/?p={number}")
        shown = [int(pk) for pk in change_link.findall(response.content.decode())]
        assert shown == newest_first[(number - 1) * 4 : number * 4]
        query_counts.add(len(queries))
    assert len(query_counts) == 1


def test_a_sorted_list_pages_through_in_the_sorted_order(pm_client, monkeypatch):
    monkeypatch.setattr(AnnotationAdmin, "list_per_page", 4)
    _make_labeled_batches(4)
    for seconds, annotation in zip(
        [7, 3, 11, 3, 5, 2, 13, 1, 8, 3, 6, 4], Annotation.objects.order_by("pk"), strict=True
    ):
        Annotation.objects.filter(pk=annotation.pk).update(lead_time=seconds)
    slowest_first = list(Annotation.objects.order_by("-lead_time", "-pk").values_list("pk", flat=True))
    change_link = re.compile(r"/admin/projects/annotation/(\d+)/change/")

    for number in (1, 2, 3):
        response = pm_client.get(f"{ANNOTATIONS}?o=-5&p={number}")  # lead time, longest first
        shown = [int(pk) for pk in change_link.findall(response.content.decode())]
        assert shown == slowest_first[(number - 1) * 4 : number * 4]
