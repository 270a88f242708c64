"""What Label Studio 1.23.2 does with a task's own overlap, seen through its label stream as real annotators.

Dynamic overlap rests on these facts: a task's `overlap` can be raised by PATCH, the label
stream (`GET /api/projects/{id}/next/`) then serves the task to exactly as many distinct
annotators, and a change of the project's maximum annotations rewrites the tasks' values.
"""

from __future__ import annotations

import httpx
import pytest

from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import push_batch
from projects.models import AnnotatorAccount, LabelStudioProject, PushedTask
from tests.actors import SYSTEM
from tests.factories import AnnotatorFactory
from tests.labelstudio.helpers import choice, make_batch

pytestmark = pytest.mark.labelstudio

PASSWORD = "overlap-annotator-pass-1"


class Annotator:
    """One annotator signed in to Label Studio as in the browser: a session cookie, no token."""

    def __init__(self, server_url: str, email: str) -> None:
        self.email = email
        self.session = httpx.Client(base_url=server_url, timeout=30)
        self.session.get("/user/login/")
        signed_in = self.session.post(
            "/user/login/",
            data={"email": email, "password": PASSWORD, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]},
        )
        assert signed_in.status_code == 302, signed_in.text[:300]

    def next_task(self, project_id: int) -> int | None:
        """The task the label stream serves this annotator, or None when it says there is none."""
        answer = self.session.get(f"/api/projects/{project_id}/next/")
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()["id"]

    def submit(self, task_id: int) -> None:
        answer = self.session.post(
            f"/api/tasks/{task_id}/annotations/",
            json={"result": [choice("scenario", "refund")], "lead_time": 4.0},
            headers={"X-CSRFToken": self.session.cookies["csrftoken"]},
        )
        assert answer.status_code == 201, answer.text[:300]


@pytest.fixture
def one_task_at_overlap_two(vendor_connection, label_studio_server):
    """A batch of one task pushed at overlap 2, and four annotators of the vendor signed in to Label Studio."""
    AnnotatorFactory(vendor=vendor_connection.vendor)
    batch = make_batch(vendor_connection, tasks=1, overlap=2, predictions=False)
    batch.project.gold_rate = 0
    batch.project.save(update_fields=["gold_rate"])
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    accounts = AnnotatorAccount.objects.filter(connection=vendor_connection).order_by("pk")
    annotators = []
    for account in accounts:
        label_studio_server.set_password(account.email, PASSWORD)
        annotators.append(Annotator(label_studio_server.url, account.email))
    task_id = PushedTask.objects.get(label_studio_project=label_studio_project).label_studio_task_id
    client = LabelStudioClient.for_connection(vendor_connection)
    return client, label_studio_project.label_studio_id, task_id, annotators


def read_task(client: LabelStudioClient, task_id: int) -> dict:
    return client.request("GET", f"api/tasks/{task_id}/", what="read the task")


def patch_task(client: LabelStudioClient, task_id: int, **fields) -> dict:
    return client.request("PATCH", f"api/tasks/{task_id}/", what="patch the task", body=fields, idempotent=True)


def test_a_raised_overlap_serves_the_task_to_exactly_one_more_distinct_annotator(one_task_at_overlap_two):
    client, project_id, task_id, (first, second, third, fourth) = one_task_at_overlap_two
    for annotator in (first, second):
        assert annotator.next_task(project_id) == task_id
        annotator.submit(task_id)
    assert read_task(client, task_id)["is_labeled"] is True
    assert third.next_task(project_id) is None

    # A bare PATCH of overlap is accepted but leaves is_labeled as it was, so the stream still hides the task.
    answer = patch_task(client, task_id, overlap=3)
    assert answer["overlap"] == 3 and answer["is_labeled"] is True
    assert third.next_task(project_id) is None

    # is_labeled is writable too: set with the overlap, the stream serves the task again.
    answer = patch_task(client, task_id, overlap=3, is_labeled=False)
    assert answer["overlap"] == 3 and answer["is_labeled"] is False
    assert first.next_task(project_id) is None  # an annotator who labeled it is never served it again
    assert third.next_task(project_id) == task_id
    third.submit(task_id)

    assert read_task(client, task_id)["is_labeled"] is True  # recomputed on the annotation: 3 distinct >= 3
    assert fourth.next_task(project_id) is None


def test_two_annotations_by_one_annotator_leave_the_task_unlabeled_yet_closed_to_the_stream(one_task_at_overlap_two):
    client, project_id, task_id, (first, second, *_) = one_task_at_overlap_two
    first.submit(task_id)
    first.submit(task_id)  # the stream never offers it twice; the API lets one post twice

    task = read_task(client, task_id)
    # is_labeled counts distinct annotators, but the stream's lock counts annotations: the task is stuck
    # until its overlap is raised past the annotations it holds.
    assert task["total_annotations"] == 2 and task["is_labeled"] is False
    assert second.next_task(project_id) is None
    patch_task(client, task_id, overlap=3)
    assert second.next_task(project_id) == task_id


def test_changing_the_projects_maximum_annotations_rewrites_every_raised_tasks_overlap(
    vendor_connection, label_studio_server
):
    batch = make_batch(vendor_connection, tasks=3, overlap=2, predictions=False)
    push_batch(batch=batch, actor=SYSTEM)
    label_studio_project = LabelStudioProject.objects.get(batch=batch)
    client = LabelStudioClient.for_connection(vendor_connection)
    task_ids = sorted(PushedTask.objects.filter(label_studio_project=label_studio_project)
                      .values_list("label_studio_task_id", flat=True))  # fmt: skip
    patch_task(client, task_ids[0], overlap=3)
    patch_task(client, task_ids[1], overlap=1)

    client.update_project(label_studio_project.label_studio_id, maximum_annotations=4)

    overlaps = [read_task(client, task_id)["overlap"] for task_id in task_ids]
    assert overlaps == [4, 1, 4]  # every task above 1 takes the new value; a task at 1 keeps it

    client.update_project(label_studio_project.label_studio_id, maximum_annotations=1)
    assert [read_task(client, task_id)["overlap"] for task_id in task_ids] == [1, 1, 1]
