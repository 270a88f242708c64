"""The PM sees what dynamic overlap bought against a fixed overlap, edits the policy on the project, and reads
every overlap change in the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER
from projects.labeling.services import current_config_version
from projects.models import LabelStudioConnection, LabelStudioProject, OverlapChange, OverlapPolicy, PushedTask
from projects.workforce.queries import overlap_savings
from tests.factories import AnnotationFactory, AnnotatorFactory, BatchFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def labeled_under_policy():
    """Four tasks under a policy (start 2, max 5, compared with fixed 3): three settled at 2 annotators, one raised
    to 4 and labeled by 4; a fifth task raised to 3 still waits for its third annotator."""
    batch = BatchFactory()
    project = batch.project
    policy = OverlapPolicy.objects.create(project=project, enabled=True, starting_overlap=2, maximum_overlap=5)
    connection = LabelStudioConnection.objects.create(name="ls", url="http://127.0.0.1:9", vendor=batch.vendor)
    label_studio_project = LabelStudioProject.objects.create(
        batch=batch, connection=connection, label_studio_id=7, config_version=current_config_version(project)
    )
    annotators = [AnnotatorFactory(vendor=batch.vendor) for _ in range(4)]
    for number, (labels, overlap) in enumerate([(2, 2), (2, 2), (2, 2), (4, 4), (2, 3)]):
        task = TaskFactory(project=project, batch=batch)
        PushedTask.objects.create(label_studio_project=label_studio_project, task=task, label_studio_task_id=number)
        for position in range(labels):
            AnnotationFactory(task=task, annotator=annotators[position], label_studio_user_id=position + 1)
        AnnotationFactory(task=task, annotator=annotators[0], label_studio_user_id=1, was_cancelled=True)  # a skip
        for step in range(2, overlap):
            OverlapChange.objects.create(
                task=task, label_studio_project=label_studio_project, from_overlap=step, to_overlap=step + 1,
                reason=OverlapChange.Reason.BELOW_TARGET, statistic="consensus", figure=0.55, target=0.8,
                annotators=step, actor="annotate (overlap policy) via job after pull",
            )  # fmt: skip
    return project, policy


def test_labels_bought_are_counted_on_the_tasks_done_against_the_fixed_overlap(labeled_under_policy):
    project, _ = labeled_under_policy

    savings = overlap_savings(project=project)

    assert (savings.done_tasks, savings.labels, savings.open_tasks, savings.raised_tasks) == (4, 10, 1, 2)
    assert savings.fixed_labels == 12 and savings.saved_share == pytest.approx(1 - 10 / 12)


def test_the_dashboard_shows_dynamic_overlap_against_fixed_and_the_admin_lists_each_change(
    client, labeled_under_policy
):
    project, _ = labeled_under_policy
    user = UserFactory(username="pm", is_staff=True)
    user.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(user)

    page = client.get(f"/admin/projects/labelingproject/{project.pk}/dashboard/").content.decode()

    assert page.count('id="dynamic-overlap"') == 1  # once, in the page's content, not its breadcrumbs
    section = page.split('<div class="dashboard">')[1].split('id="dynamic-overlap"')[1]
    cells = section.split('class="overlap-row"')[1].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in cells.split('<td class="number">')[1:]] == [
        "4", "10", "12", "17%", "2", "1"
    ]  # fmt: skip
    assert "At fixed overlap 3" in section
    changes = client.get("/admin/projects/overlapchange/").content.decode()
    assert changes.count("annotate (overlap policy) via job after pull") == 3
    assert "0.55" in changes


def test_the_policy_is_edited_on_its_projects_page(client, labeled_under_policy, admin_user):
    project, _ = labeled_under_policy
    client.force_login(admin_user)

    page = client.get(f"/admin/projects/labelingproject/{project.pk}/change/").content.decode()

    assert "Dynamic overlap" in page and 'name="overlap_policy-0-target"' in page
