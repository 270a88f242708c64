"""A project made and labeled in Label Studio without annotate, adopted with its history, then pulled like any."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from projects.labeling.authors import label_studio_email
from projects.labelstudio.adoption import AdoptionRefused, adopt_project
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.pull import pull_annotations
from projects.labelstudio.upsert import parse_time
from projects.models import (
    Annotation,
    AnnotatorAccount,
    Batch,
    BatchTally,
    FlagSnapshot,
    LabelingProject,
    LabelStudioProject,
    LabelTally,
    PushedTask,
    SyncRun,
    Task,
)
from projects.sla.figures import measure_batch
from tests.actors import SYSTEM
from tests.factories import TRIAGE_CONFIG, AnnotatorFactory, LabelingProjectFactory, TaskFactory
from tests.labelstudio.helpers import SCENARIOS, assert_mirrors_label_studio_export, choice

pytestmark = pytest.mark.labelstudio


def _label_studio_users(client: LabelStudioClient, annotators) -> list[int]:
    """The annotators' users on the server, made there as a team running Label Studio alone would."""
    existing = {user["email"].lower(): user["id"] for user in client.list_users()}
    ids = []
    for annotator in annotators:
        email = label_studio_email(annotator)
        if email not in existing:
            existing[email] = client.create_user(email=email, first_name="Ann", last_name="Otator")["id"]
        ids.append(existing[email])
    return ids


def _project_labeled_in_label_studio(client: LabelStudioClient, user_ids: list[int], *, tasks: int = 6) -> dict:
    """A Label Studio project with tasks (half carrying their own external_id), each labeled by two of the users."""
    project = client.create_project(
        title="Aftersales made in LS", description="", label_config=TRIAGE_CONFIG, instructions="", overlap=2
    )
    items = [
        {"data": {"message": f"Parcel {number} never came", "reply": "亲，正在查询", "external_id": f"ls-{number}"}}
        if number % 2 == 0
        else {"data": {"message": f"Refund for order {number}", "reply": "好的"}}
        for number in range(tasks)
    ]
    task_ids = client.import_tasks(project["id"], items)
    for position, task_id in enumerate(task_ids[:-1]):  # the last task is left for later
        for offset in range(2):
            skipped = position == 0 and offset == 1
            client.create_annotation(
                task_id,
                result=[] if skipped else [choice("scenario", SCENARIOS[(position + offset) % 3])],
                completed_by=user_ids[(position + offset) % len(user_ids)],
                lead_time=4.5 + position + offset / 4,
                was_cancelled=skipped,
            )
    return {"id": project["id"], "task_ids": task_ids}


def _counts() -> dict[str, int]:
    models = [LabelingProject, Batch, Task, Annotation, AnnotatorAccount, LabelStudioProject, PushedTask]
    return {model.__name__: model.objects.count() for model in models}


def test_adopted_project_mirrors_label_studio_then_pulls_like_a_pushed_one(vendor_connection):
    client = LabelStudioClient.for_connection(vendor_connection)
    annotators = list(vendor_connection.vendor.annotators.all())
    user_ids = _label_studio_users(client, annotators)
    made = _project_labeled_in_label_studio(client, user_ids)

    call_command("adopt_labelstudio_project", vendor_connection.name, str(made["id"]), "--project", "adopted-triage")

    label_studio_project = LabelStudioProject.objects.get(connection=vendor_connection, label_studio_id=made["id"])
    batch = label_studio_project.batch
    assert (batch.project.slug, batch.name, batch.vendor) == (
        "adopted-triage",
        "Aftersales made in LS",
        vendor_connection.vendor,
    )
    assert batch.project.label_config == TRIAGE_CONFIG and batch.project.overlap == 2
    assert sorted(Task.objects.filter(batch=batch).values_list("external_id", flat=True)) == sorted(
        ["ls-0", "ls-2", "ls-4", *(str(made["task_ids"][number]) for number in (1, 3, 5))]
    )
    assert assert_mirrors_label_studio_export(label_studio_project) == 10
    by_user = dict(
        AnnotatorAccount.objects.filter(connection=vendor_connection).values_list("label_studio_user_id", "annotator")
    )
    assert by_user == {user_id: annotator.pk for user_id, annotator in zip(user_ids, annotators, strict=True)}
    assert Annotation.objects.filter(task__batch=batch, was_cancelled=True).count() == 1
    # Counted for the dashboards: tallies and flags computed for the history.
    tally = BatchTally.objects.get(batch=batch)
    assert (tally.stale, tally.tasks, tally.annotated_tasks) == (False, 6, 5)
    assert sum(LabelTally.objects.filter(batch=batch).values_list("labels", flat=True)) == 9
    assert FlagSnapshot.objects.filter(project=batch.project).exists()
    figures = measure_batch(batch=batch, now=timezone.now())
    assert (figures.labels_needed, figures.labels_counted) == (12, 9)
    assert figures.pushed_at == parse_time(client.get_project(made["id"])["created_at"])  # when the vendor got it

    before = _counts()
    again = adopt_project(
        connection=vendor_connection, label_studio_project_id=made["id"], project_slug="adopted-triage",
        actor=SYSTEM,
    )  # fmt: skip
    assert _counts() == before
    assert (again.tasks_created, again.annotations.created, again.annotations.updated) == (0, 0, 0)
    assert again.annotations.unchanged == 10 and not again.project_created and not again.batch_created

    # Labeled further in Label Studio, and pulled as any pushed project: incrementally from the adoption's cursor.
    client.create_annotation(
        made["task_ids"][-1], result=[choice("scenario", "damaged")], completed_by=user_ids[0], lead_time=12.0
    )
    run = pull_annotations(label_studio_project=label_studio_project, actor=SYSTEM)
    assert (run.kind, run.created) == (SyncRun.Kind.INCREMENTAL, 1)
    assert assert_mirrors_label_studio_export(label_studio_project) == 11
    assert Task.objects.get(batch=batch, external_id="ls-4").status == Task.Status.ANNOTATED


def test_an_author_who_is_no_annotator_of_the_vendor_is_named_and_nothing_is_adopted(vendor_connection):
    client = LabelStudioClient.for_connection(vendor_connection)
    annotators = list(vendor_connection.vendor.annotators.all())
    stranger = AnnotatorFactory()  # another vendor's annotator: not a person the connection's vendor may credit
    user_ids = _label_studio_users(client, [annotators[0], stranger])
    made = _project_labeled_in_label_studio(client, user_ids, tasks=3)
    before = _counts()

    with pytest.raises(AdoptionRefused) as refused:
        adopt_project(
            connection=vendor_connection, label_studio_project_id=made["id"], project_slug="with-stranger",
            actor=SYSTEM,
        )  # fmt: skip

    message = str(refused.value)
    assert f"Label Studio user {user_ids[1]} ({label_studio_email(stranger)}), 2 annotations" in message
    assert f"no annotator of vendor {vendor_connection.vendor} has the e-mail" in message
    assert f"user {user_ids[0]} " not in message
    assert _counts() == before


def test_a_config_annotate_cannot_parse_is_refused_with_the_reason(vendor_connection):
    client = LabelStudioClient.for_connection(vendor_connection)
    # Label Studio 1.23 takes a config with nothing to label with; annotate does not.
    project = client.create_project(
        title="Read-only texts", description="", instructions="", overlap=1,
        label_config='<View><Text name="message" value="$message"/></View>',
    )  # fmt: skip
    before = _counts()

    with pytest.raises(CommandError) as refused:
        call_command("adopt_labelstudio_project", vendor_connection.name, str(project["id"]), "--project", "texts")

    assert f"Label Studio project {project['id']} was not adopted" in str(refused.value)
    assert "has a label config annotate cannot use: The label config has no control tag" in str(refused.value)
    assert _counts() == before


def test_a_pm_adopts_a_project_from_the_connection_admin(admin_client, admin_user, vendor_connection):
    client = LabelStudioClient.for_connection(vendor_connection)
    user_ids = _label_studio_users(client, vendor_connection.vendor.annotators.all())
    made = _project_labeled_in_label_studio(client, user_ids, tasks=3)
    changelist = reverse("admin:projects_labelstudioconnection_changelist")
    chosen = {"action": "adopt_a_project", "_selected_action": [vendor_connection.pk]}

    page = admin_client.post(changelist, chosen)
    assert b"Label Studio project id" in page.content
    done = admin_client.post(
        changelist,
        {
            **chosen,
            "apply": "1",
            "label_studio_project_id": made["id"],
            "project_slug": "from-admin",
            "batch_name": "W40",
        },
        follow=True,
    )

    [said] = [str(message) for message in get_messages(done.wsgi_request)]
    assert said.startswith("Adopted as from-admin / W40: 3 tasks new, 0 already there; 4 annotations new"), said
    project = LabelingProject.objects.get(slug="from-admin")
    assert LogEntry.objects.get_for_object(project).get().actor == admin_user
    assert Annotation.objects.filter(task__project=project).count() == 4

    again = admin_client.post(
        changelist,
        {**chosen, "apply": "1", "label_studio_project_id": made["id"], "project_slug": "other", "batch_name": "W40"},
        follow=True,
    )
    [refusal] = [str(message) for message in get_messages(again.wsgi_request)]
    assert refusal.startswith("Not adopted: ") and "is already in annotate, as from-admin / W40" in refusal


def test_adopting_into_a_project_matches_the_tasks_it_already_holds_by_external_id(vendor_connection):
    client = LabelStudioClient.for_connection(vendor_connection)
    user_ids = _label_studio_users(client, vendor_connection.vendor.annotators.all())
    made = _project_labeled_in_label_studio(client, user_ids, tasks=4)
    project = LabelingProjectFactory(slug="imported-first", label_config=TRIAGE_CONFIG)
    imported = TaskFactory(project=project, external_id="ls-0", data={"message": "Parcel 0 never came", "reply": "亲"})

    result = adopt_project(
        connection=vendor_connection, label_studio_project_id=made["id"], project_slug="imported-first",
        batch_name="from LS", actor=SYSTEM,
    )  # fmt: skip

    assert (result.project_created, result.tasks_created, result.tasks_matched) == (False, 3, 1)
    imported.refresh_from_db()
    assert imported.batch == result.label_studio_project.batch
    assert imported.annotations.count() == 2 and imported.status == Task.Status.ANNOTATED
    assert assert_mirrors_label_studio_export(result.label_studio_project) == 6

    other = LabelingProjectFactory(slug="other-config", label_config=TRIAGE_CONFIG.replace("maxRating", "maxRating1"))
    with pytest.raises(AdoptionRefused, match="Project other-config has another label config"):
        adopt_project(
            connection=vendor_connection, label_studio_project_id=made["id"], project_slug=other.slug, actor=SYSTEM
        )
