"""A project manager puts imported tasks into a batch from the admin's task list, and is told plainly when not."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from projects.access.roles import PROJECT_MANAGER
from projects.labeling.services import current_config_version
from projects.models import Batch, LabelStudioConnection, LabelStudioProject, PushedTask, Task
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # UserFactory's


def choose_tasks_and_put_in_batch(page: Page, tasks: list[Task]) -> None:
    for task in tasks:
        page.check(f'input.action-select[value="{task.pk}"]')
    page.select_option("select[name=action]", "put_in_batch")
    page.get_by_role("button", name="Go").click()


def test_a_project_manager_puts_imported_tasks_in_a_batch_and_is_refused_pushed_tasks_and_mixed_projects(
    live_server, page, screenshot
):
    project = LabelingProjectFactory(name="售后场景分类 Aftersales triage", slug="triage")
    dealer_chats = LabelingProjectFactory(name="Dealer chats", slug="dealer")
    week_49 = BatchFactory(project=project, name="w49 退款")
    BatchFactory(project=project, name="w47 decided", status=Batch.Status.ACCEPTED)
    week_48 = BatchFactory(project=project, name="w48", status=Batch.Status.PUSHED)
    imported = [TaskFactory(project=project, external_id=f"conv-{number}") for number in range(1, 5)]
    pushed = TaskFactory(project=project, batch=week_48, external_id="out-1", status=Task.Status.PUSHED)
    connection = LabelStudioConnection.objects.create(name="ls", url="http://127.0.0.1:9", vendor=week_48.vendor)
    label_studio_project = LabelStudioProject.objects.create(
        batch=week_48, connection=connection, label_studio_id=3, config_version=current_config_version(project)
    )
    PushedTask.objects.create(label_studio_project=label_studio_project, task=pushed, label_studio_task_id=30)
    dealer_task = TaskFactory(project=dealer_chats, external_id="dealer-1")
    manager = UserFactory(username="pm.zhang", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    task_list = f"{live_server.url}/admin/projects/task/?project__id__exact={project.pk}"

    page.goto(f"{live_server.url}/admin/login/?next=/admin/projects/task/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto(task_list)

    # Three imported tasks into w49: the page asks for the batch, offering the project's open batches only.
    choose_tasks_and_put_in_batch(page, imported[:3])
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Put tasks of {project} in a batch")
    expect(page.locator("#content")).to_contain_text("3 tasks of 售后场景分类 Aftersales triage")
    options = page.locator("#id_batch option")
    expect(options).to_have_count(2)
    assert "w47 decided" not in page.locator("#id_batch").inner_text()
    page.select_option("#id_batch", label=f"w49 退款 ({week_49.vendor.name}, planned)")
    screenshot(page, "1-choose-batch")
    page.get_by_role("button", name="Put in batch").click()

    expect(page.locator(".messagelist .success")).to_have_text(f"Put 3 tasks in {week_49}.")
    assert [Task.objects.get(pk=task.pk).batch_id for task in imported] == [week_49.pk] * 3 + [None]
    expect(page.get_by_role("row").filter(has_text="conv-1")).to_contain_text(str(week_49))
    screenshot(page, "2-moved")

    # A task already pushed to Label Studio: refused with its name, and nothing moves.
    page.goto(task_list)
    choose_tasks_and_put_in_batch(page, [imported[3], pushed])
    page.select_option("#id_batch", label=f"w49 退款 ({week_49.vendor.name}, planned)")
    page.get_by_role("button", name="Put in batch").click()
    expect(page.locator(".messagelist .error")).to_have_text(
        "Task out-1 was already pushed to Label Studio: a pushed task stays in the batch it went out with. "
        "Nothing was moved."
    )
    assert Task.objects.get(pk=imported[3].pk).batch_id is None
    assert Task.objects.get(pk=pushed.pk).batch_id == week_48.pk
    screenshot(page, "3-refused-pushed")

    # Tasks of two projects: no batch can take them both.
    page.goto(f"{live_server.url}/admin/projects/task/")
    choose_tasks_and_put_in_batch(page, [imported[3], dealer_task])
    expect(page.locator(".messagelist .error")).to_have_text(
        f"The tasks chosen are of 2 projects (Dealer chats, {project.name}): a batch takes one project's tasks, "
        "so choose tasks of one project. Nothing was moved."
    )
    assert Task.objects.get(pk=dealer_task.pk).batch_id is None
    screenshot(page, "4-refused-two-projects")
