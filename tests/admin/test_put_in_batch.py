"""The admin's "Put in batch" on every task of a filtered list ("select all"), not only the page's checkboxes."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER, QA_REVIEWER
from projects.models import Task
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(client, role: str) -> None:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)


def test_select_all_puts_every_task_the_filter_lists_in_the_batch(client):
    project, other = LabelingProjectFactory(), LabelingProjectFactory()
    batch = BatchFactory(project=project, name="w50")
    mine = [TaskFactory(project=project) for _ in range(120)]  # more than one page of the list
    theirs = TaskFactory(project=other)
    _signed_in(client, PROJECT_MANAGER)
    url = f"/admin/projects/task/?project__id__exact={project.pk}"
    chosen = {"action": "put_in_batch", "select_across": "1", helpers.ACTION_CHECKBOX_NAME: [mine[0].pk]}

    page = client.post(url, chosen)

    assert "120 tasks of" in page.content.decode()
    assert f'name="{helpers.ACTION_CHECKBOX_NAME}"' not in page.content.decode()  # the filter carries them
    done = client.post(url, {**chosen, "apply": "1", "batch": batch.pk}, follow=True)
    assert f"Put 120 tasks in {batch}." in done.content.decode()
    assert Task.objects.filter(batch=batch).count() == 120
    assert Task.objects.get(pk=theirs.pk).batch_id is None


def test_a_qa_reviewer_has_no_put_in_batch_action(client):
    TaskFactory()
    _signed_in(client, QA_REVIEWER)

    page = client.get("/admin/projects/task/").content.decode()

    assert "put_in_batch" not in page
