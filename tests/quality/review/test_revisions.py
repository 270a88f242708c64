"""A settled adjudication revised by a reviewer or project manager: kept, linked, audited."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER
from projects.models import Adjudication, ItemConsensus
from projects.quality.consensus.build import aggregate_batch
from projects.quality.review.queries import adjudication_history, current_adjudication
from projects.quality.review.verdicts import AdjudicationRefused, adjudicate
from tests.actors import actor_for
from tests.factories import AnnotatorFactory, BatchFactory, TaskFactory, UserFactory
from tests.quality.annotations import choice, label

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(triage_project, reviewer):
    batch = BatchFactory(project=triage_project)
    tied = TaskFactory(project=triage_project, batch=batch)
    label(tied, AnnotatorFactory(), choice("scenario", "refund"))
    label(tied, AnnotatorFactory(), choice("scenario", "damaged"))
    aggregate_batch(batch=batch)
    first = adjudicate(task=tied, control_name="scenario", label="refund", actor=actor_for(reviewer))
    return batch, tied, first


@pytest.fixture
def project_manager(db):
    manager = UserFactory(username="pat")
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    return manager


def test_a_project_manager_revises_a_reviewers_adjudication_and_both_are_kept(settled, project_manager):
    batch, tied, first = settled

    revision = adjudicate(
        task=tied,
        control_name="scenario",
        label="damaged",
        actor=actor_for(project_manager),
        comment="the photo shows a cracked screen",
        revises=first,
    )

    first.refresh_from_db()
    assert revision.revises == first and first.revised_by == revision
    assert current_adjudication(task=tied, control_name="scenario") == revision
    assert list(adjudication_history(task=tied, control_name="scenario")) == [revision, first]
    consensus = ItemConsensus.objects.get(task=tied, control_name="scenario")
    assert (consensus.method, consensus.label) == ("adjudication", "damaged")
    aggregate_batch(batch=batch)
    assert ItemConsensus.objects.get(task=tied, control_name="scenario").label == "damaged"
    entry = LogEntry.objects.get_for_object(revision).get()
    assert entry.action == LogEntry.Action.CREATE and entry.actor == project_manager
    assert entry.changes_dict["revises"][1] == str(first.pk)
    assert entry.changes_dict["label"][1] == '"damaged"'


def test_a_revision_says_why_changes_the_label_and_revises_the_current_one(settled, reviewer, project_manager):
    _, tied, first = settled
    with pytest.raises(AdjudicationRefused, match="Say why"):
        adjudicate(task=tied, control_name="scenario", label="damaged", actor=actor_for(reviewer), revises=first)
    with pytest.raises(AdjudicationRefused, match="already 'refund'"):
        adjudicate(
            task=tied, control_name="scenario", label="refund", actor=actor_for(reviewer), comment="x", revises=first
        )
    with pytest.raises(AdjudicationRefused, match="adjudicated meanwhile"):
        adjudicate(task=tied, control_name="scenario", label="damaged", actor=actor_for(reviewer), comment="no revises")

    second = adjudicate(
        task=tied,
        control_name="scenario",
        label="damaged",
        actor=actor_for(project_manager),
        comment="photo",
        revises=first,
    )
    # Someone who still looks at the first adjudication cannot overwrite the second unseen.
    with pytest.raises(AdjudicationRefused, match="adjudicated meanwhile"):
        adjudicate(
            task=tied,
            control_name="scenario",
            label="not_received",
            actor=actor_for(reviewer),
            comment="x",
            revises=first,
        )
    third = adjudicate(
        task=tied,
        control_name="scenario",
        label="not_received",
        actor=actor_for(reviewer),
        comment="re-read",
        revises=second,
    )
    assert [item.label for item in adjudication_history(task=tied, control_name="scenario")] == [
        "not_received",
        "damaged",
        "refund",
    ]
    assert Adjudication.objects.filter(task=tied, revises__isnull=True).get() == first
    assert third.revises == second
