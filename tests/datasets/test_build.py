"""Building gold dataset versions: precedence of label sources, exclusions, hashes, splits, immutability."""

from __future__ import annotations

import hashlib

import pytest
from django.db.models import ProtectedError
from rest_framework.authtoken.models import Token

from projects.access.roles import PROJECT_MANAGER, QA_REVIEWER
from projects.datasets.builds import DatasetUnchanged, build_dataset_version
from projects.datasets.canonical import content_hash, split_for
from projects.datasets.exports import export_chunks
from projects.datasets.queries import diff_dataset_versions
from projects.models import (
    Adjudication,
    DatasetExclusion,
    DatasetImmutable,
    DatasetItem,
    DatasetVersion,
    ItemConsensus,
    Review,
)
from tests.actors import actor_for
from tests.factories import AnnotationFactory, LabelingProjectFactory, TaskFactory, member_of

pytestmark = pytest.mark.django_db


def consensus(task, label, confidence=0.9, control="scenario", method="dawid_skene"):
    return ItemConsensus.objects.create(
        task=task,
        control_name=control,
        method=method,
        label=label,
        confidence=confidence,
        ratings=3,
        needs_adjudication=label is None or confidence < 0.5,
    )


def correct(task, label, reviewer):
    annotation = AnnotationFactory(task=task)
    return Review.objects.create(
        annotation=annotation,
        reviewer=reviewer,
        verdict=Review.Verdict.CORRECT,
        corrected_result=[
            {"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [label]}}
        ],
    )


@pytest.fixture
def project():
    return LabelingProjectFactory(slug="gold-triage")


@pytest.fixture
def manager():
    return member_of(PROJECT_MANAGER, username="pm", is_staff=True)


@pytest.fixture
def labeled(project):
    """Ten tasks with a confident consensus each, in English and Chinese."""
    tasks = []
    for number in range(10):
        task = TaskFactory(project=project, external_id=f"item-{number:02d}", language="en" if number % 2 else "zh")
        consensus(task, ["refund", "damaged"][number % 2], confidence=0.8 + number / 100)
        tasks.append(task)
    return tasks


def jsonl_bytes(version) -> bytes:
    return b"".join(export_chunks(version, "jsonl"))


def test_building_twice_from_the_same_labels_gives_the_same_hash(project, labeled, manager):
    first = build_dataset_version(project=project, actor=actor_for(manager), note="first")

    with pytest.raises(DatasetUnchanged, match="Nothing changed since version 1") as unchanged:
        build_dataset_version(project=project, actor=actor_for(manager))

    assert unchanged.value.content_hash == first.content_hash
    assert DatasetVersion.objects.filter(project=project).count() == 1
    assert first.item_count == 10 and first.number == 1 and first.built_by == manager


def test_the_hash_is_the_sha256_of_the_jsonl_export_and_of_the_canonical_form(project, labeled, manager):
    version = build_dataset_version(project=project, actor=actor_for(manager))
    exported = jsonl_bytes(version)

    assert hashlib.sha256(exported).hexdigest() == version.content_hash
    items = list(
        DatasetItem.objects.filter(version=version).values(
            "external_id", "language", "data", "label", "split", "method", "confidence", "provenance"
        )
    )
    assert content_hash(reversed(items)) == version.content_hash


def test_a_changed_label_gives_a_new_version_with_another_hash_and_a_diff(project, labeled, manager):
    first = build_dataset_version(project=project, actor=actor_for(manager))
    ItemConsensus.objects.filter(task=labeled[3]).update(label="not_received")
    TaskFactory(project=project, external_id="item-99")
    consensus(project.tasks.get(external_id="item-99"), "refund")

    second = build_dataset_version(project=project, actor=actor_for(manager))

    assert second.number == 2 and second.parent == first
    assert second.content_hash != first.content_hash
    changes = diff_dataset_versions(first, second)
    assert changes.added == ("item-99",)
    assert [(relabel.external_id, relabel.new_label) for relabel in changes.relabeled] == [
        ("item-03", {"scenario": "not_received"})
    ]
    assert changes.removed == () and changes.unchanged == 9


def test_a_correction_beats_an_adjudication_which_beats_the_consensus(project, manager):
    reviewer = member_of(QA_REVIEWER, username="qa")
    corrected, adjudicated, aggregated = (
        TaskFactory(project=project, external_id=name) for name in ("a-corrected", "b-adjudicated", "c-aggregated")
    )
    for task in (corrected, adjudicated, aggregated):
        consensus(task, "refund", confidence=0.95)
    for task in (corrected, adjudicated):
        Adjudication.objects.create(task=task, control_name="scenario", label="damaged", adjudicator=manager)
    correct(corrected, "not_received", reviewer)

    version = build_dataset_version(project=project, actor=actor_for(manager))

    items = {item.external_id: item for item in version.items.all()}
    assert items["a-corrected"].label == {"scenario": "not_received"}
    assert items["a-corrected"].method == "correction"
    assert items["a-corrected"].provenance["reviewers"] == [reviewer.pk]
    assert items["a-corrected"].provenance["adjudicators"] == [manager.pk]
    assert (items["b-adjudicated"].label, items["b-adjudicated"].method) == ({"scenario": "damaged"}, "adjudication")
    assert (items["c-aggregated"].label, items["c-aggregated"].method) == ({"scenario": "refund"}, "dawid_skene")
    assert items["c-aggregated"].confidence == pytest.approx(0.95)


def test_tasks_below_the_threshold_or_without_a_label_are_left_out_with_why(project, manager):
    project.dataset_confidence_threshold = 0.7
    project.save()
    consensus(TaskFactory(project=project, external_id="confident"), "refund", confidence=0.7)
    consensus(TaskFactory(project=project, external_id="unsure"), "refund", confidence=0.55)
    consensus(TaskFactory(project=project, external_id="tied"), None, confidence=0.4)
    TaskFactory(project=project, external_id="untouched")
    half = TaskFactory(project=project, external_id="half")
    consensus(half, "refund", confidence=0.9)
    consensus(half, 4, confidence=0.5, control="helpfulness", method="majority")

    version = build_dataset_version(project=project, actor=actor_for(manager))

    assert [item.external_id for item in version.items.all()] == ["confident"]
    reasons = dict(version.exclusions.values_list("external_id", "reason"))
    assert reasons == {
        "unsure": DatasetExclusion.Reason.BELOW_THRESHOLD,
        "tied": DatasetExclusion.Reason.AWAITING_ADJUDICATION,
        "untouched": DatasetExclusion.Reason.UNLABELED,
        "half": DatasetExclusion.Reason.BELOW_THRESHOLD,
    }
    assert version.exclusions.get(external_id="half").detail == "helpfulness: confidence 0.5 < 0.7"
    assert version.excluded == {"below_threshold": 2, "awaiting_adjudication": 1, "unlabeled": 1, "total": 4}
    assert version.settings == {
        "confidence_threshold": 0.7,
        "split_ratios": [0.8, 0.1, 0.1],
        "seed_name": "gold-triage",
    }


def test_splits_follow_the_external_id_and_stay_put_in_later_versions(project, labeled, manager):
    first = build_dataset_version(project=project, actor=actor_for(manager))
    project.slug = "renamed-triage"
    project.save()
    ItemConsensus.objects.filter(task=labeled[0]).update(label="damaged")

    second = build_dataset_version(project=project, actor=actor_for(manager))

    expected = {task.external_id: split_for(task.external_id, seed_name="gold-triage") for task in labeled}
    assert dict(first.items.values_list("external_id", "split")) == expected
    assert dict(second.items.values_list("external_id", "split")) == expected
    assert second.settings["seed_name"] == "gold-triage"


def test_the_orm_refuses_to_change_or_delete_a_built_version(project, labeled, manager):
    version = build_dataset_version(project=project, actor=actor_for(manager))
    item = version.items.first()

    with pytest.raises(DatasetImmutable):
        DatasetItem.objects.filter(version=version).update(label={"scenario": "damaged"})
    with pytest.raises(DatasetImmutable):
        DatasetItem.objects.filter(version=version).delete()
    with pytest.raises(DatasetImmutable):
        version.exclusions.all().delete()
    item.label = {"scenario": "damaged"}
    with pytest.raises(DatasetImmutable):
        item.save()
    with pytest.raises(DatasetImmutable):
        item.delete()
    version.note = "edited"
    with pytest.raises(DatasetImmutable):
        version.save()
    with pytest.raises(DatasetImmutable):
        DatasetVersion.objects.filter(pk=version.pk).update(note="edited")
    with pytest.raises(ProtectedError):
        project.delete()
    with pytest.raises(ProtectedError):
        labeled[0].delete()
    assert DatasetItem.objects.get(pk=item.pk).label == {"scenario": "refund"}
    assert jsonl_bytes(version) and hashlib.sha256(jsonl_bytes(version)).hexdigest() == version.content_hash


def test_the_admin_shows_a_version_but_has_no_change_or_delete(client, project, labeled, manager):
    version = build_dataset_version(project=project, actor=actor_for(manager))
    client.force_login(manager)

    page = client.get(f"/admin/projects/datasetversion/{version.pk}/change/")
    edit = client.post(f"/admin/projects/datasetversion/{version.pk}/change/", {"note": "edited"})
    delete = client.post(f"/admin/projects/datasetversion/{version.pk}/delete/", {"post": "yes"})
    item = version.items.first()
    item_edit = client.post(f"/admin/projects/datasetitem/{item.pk}/change/", {"label": "{}"})

    assert page.status_code == 200 and version.content_hash in page.content.decode()
    assert b'name="note"' not in page.content
    assert edit.status_code == 403 and delete.status_code == 403 and item_edit.status_code == 403
    assert DatasetVersion.objects.get(pk=version.pk).note == ""


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_api_refuses_to_change_a_version_or_an_item(client, project, labeled, manager, method):
    version = build_dataset_version(project=project, actor=actor_for(manager))
    item = version.items.first()
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=manager).key}"}

    for url in (f"/api/v1/dataset-versions/{version.pk}/", f"/api/v1/dataset-items/{item.pk}/"):
        response = getattr(client, method)(url, '{"note": "x"}', content_type="application/json", **headers)
        assert response.status_code == 405, url
    assert DatasetVersion.objects.get(pk=version.pk).note == ""


def test_a_bad_case_copy_sits_in_its_originals_split(project, labeled, manager):
    copies = []
    for original in labeled:
        copy = TaskFactory(project=project, external_id=f"{original.external_id}~7", language=original.language)
        consensus(copy, "refund")
        copies.append(copy)

    version = build_dataset_version(project=project, actor=actor_for(manager))

    splits = dict(version.items.values_list("external_id", "split"))
    assert {splits[f"{task.external_id}~7"] for task in labeled} == {splits[task.external_id] for task in labeled}
    for task in labeled:
        assert splits[f"{task.external_id}~7"] == splits[task.external_id]
