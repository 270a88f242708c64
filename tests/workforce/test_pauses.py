"""The gate judged on annotate's own records, pauses and reinstatements refused or made, without Label Studio
(these annotators have no account on a server, so there is no access to change)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core import mail

from projects.audit import Actor
from projects.errors import InputRefused, Refusal
from projects.languages import remember_language
from projects.models import AnnotatorPause, GoldGatePolicy, QASampleItem
from projects.workforce.gate_checks import evaluate_gold_gate
from projects.workforce.pauses import pause_annotator, reinstate_annotator
from tests.actors import SYSTEM, actor_for
from tests.workforce.world import START, gate_world

pytestmark = pytest.mark.django_db


def test_the_gate_pauses_the_careless_annotator_only_and_once():
    world = gate_world()
    world.label(world.careful, ["refund", None, "refund", "refund", None, "damaged"])
    world.label(world.careless, ["damaged", "damaged", None, "damaged", "damaged"])

    outcome = evaluate_gold_gate(project=world.project, actor=SYSTEM)
    again = evaluate_gold_gate(project=world.project, actor=SYSTEM)

    pause = AnnotatorPause.objects.get()
    assert [p.annotator for p in outcome.pauses] == [world.careless] and again.pauses == []
    assert outcome.verdicts[world.careful.pk].decision == "pass"
    assert pause.rule == "gold gate" and pause.paused_by == "annotate (gold gate) via test"
    assert pause.figures["gold_seen"] == 4 and pause.figures["gold_correct"] == 0
    # never passing: all five of their labels go to QA, in a sample of their own
    assert pause.labels_sent_to_qa == 5
    assert QASampleItem.objects.filter(annotation__annotator=world.careless, sample__seed=-pause.pk).count() == 5
    assert sorted(message.to for message in mail.outbox) == [["lin@annotate.example"], ["ops@vendor.example"]]
    assert "(Asia/Shanghai)" not in mail.outbox[0].body and "CST" in mail.outbox[0].body


def test_a_reinstated_annotator_is_judged_afresh_on_gold_answered_since():
    world = gate_world()
    world.label(world.careless, ["damaged"] * 4)
    pause = evaluate_gold_gate(project=world.project, actor=SYSTEM).pauses[0]

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        reinstate_annotator(pause=pause, comment="Retrained.", actor=actor_for(world.pm))

    assert evaluate_gold_gate(project=world.project, actor=SYSTEM).pauses == []
    # labeled after the reinstatement: judged again, and paused
    world.label(world.careless, ["damaged"] * 4, start=START + timedelta(hours=2))
    assert [p.annotator for p in evaluate_gold_gate(project=world.project, actor=SYSTEM).pauses] == [world.careless]


def test_a_person_pauses_with_a_reason_and_an_annotator_is_not_paused_twice():
    world = gate_world()
    with pytest.raises(InputRefused, match="needs a reason"):
        pause_annotator(annotator=world.careful, project=world.project, reason=" ", actor=actor_for(world.pm))
    pause = pause_annotator(
        annotator=world.careful, project=world.project, reason="Copied answers.", actor=actor_for(world.pm)
    )
    with pytest.raises(Refusal, match="already paused"):
        pause_annotator(annotator=world.careful, project=world.project, reason="Again.", actor=actor_for(world.pm))
    created = LogEntry.objects.get_for_object(pause).get(action=LogEntry.Action.CREATE)
    assert (created.actor, pause.rule) == (world.pm, "person")


def test_only_a_pm_reinstates_unless_the_project_lets_the_vendor_manager():
    world = gate_world()
    pause = pause_annotator(annotator=world.careless, project=world.project, reason="Test.", actor=SYSTEM)
    with pytest.raises(Refusal, match="Only a project manager"):
        reinstate_annotator(pause=pause, comment="Mine.", actor=actor_for(world.vendor_manager))
    with pytest.raises(InputRefused, match="needs a comment"):
        reinstate_annotator(pause=pause, comment="", actor=actor_for(world.pm))
    world.project.gold_gate.vendor_manager_may_reinstate = True
    world.project.gold_gate.save()

    reinstate_annotator(pause=pause, comment="Coached today.", actor=actor_for(world.vendor_manager))

    pause.refresh_from_db()
    assert (pause.reinstated_by, pause.reinstatement_comment) == (world.vendor_manager, "Coached today.")
    with pytest.raises(Refusal, match="reinstated already"):
        reinstate_annotator(pause=pause, comment="Twice.", actor=actor_for(world.pm))


def test_the_pause_is_made_in_the_gates_name_whoever_ran_the_pull():
    world = gate_world()
    world.label(world.careless, ["damaged"] * 4)
    evaluate_gold_gate(project=world.project, actor=Actor.person(world.pm, via="job pull_annotations"))
    entry = LogEntry.objects.get_for_object(AnnotatorPause.objects.get()).get(action=LogEntry.Action.CREATE)
    assert entry.actor is None
    assert entry.additional_data == {"actor": "annotate (gold gate)", "via": "job pull_annotations"}


def test_a_project_that_opts_in_pauses_on_anomaly_flags_before_the_gold_rule_can_judge():
    world = gate_world()
    GoldGatePolicy.objects.filter(project=world.project).update(min_gold_answers=20, pause_on_anomalies=True)
    world.label(world.careless, ["damaged"] * 4)  # a gold-failure streak of four; too few answers for the gold rule

    with time_machine.travel(START + timedelta(days=1), tick=False):
        outcome = evaluate_gold_gate(project=world.project, actor=SYSTEM)

    pause = AnnotatorPause.objects.get()
    assert outcome.verdicts[world.careless.pk].decision == "too_early"
    assert (outcome.pauses, pause.rule) == ([pause], "anomaly flags")
    assert pause.reason.startswith("Paused on anomaly flags: ")
    assert [flag["kind"] for flag in pause.figures["flags"]] == ["gold_failure_streak"]


def test_anomaly_flags_pause_no_one_unless_the_project_opts_in():
    world = gate_world()
    GoldGatePolicy.objects.filter(project=world.project).update(min_gold_answers=20)
    world.label(world.careless, ["damaged"] * 4)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert evaluate_gold_gate(project=world.project, actor=SYSTEM).pauses == []


def test_a_vendor_manager_who_reads_chinese_is_told_in_chinese_with_the_vendors_time():
    world = gate_world()
    remember_language(world.vendor_manager, "zh-hans")
    world.label(world.careless, ["damaged"] * 4)

    with time_machine.travel(START + timedelta(days=1), tick=False):
        evaluate_gold_gate(project=world.project, actor=SYSTEM)

    [to_manager] = [message for message in mail.outbox if message.to == ["ops@vendor.example"]]
    [to_pm] = [message for message in mail.outbox if message.to == ["lin@annotate.example"]]
    assert to_manager.subject == f"[annotate] careless 已在 {world.project} 被暂停"
    assert "2026-12-08 16:00 CST" in to_manager.body  # 08:00 UTC in Asia/Shanghai
    assert "原因：" in to_manager.body and AnnotatorPause.objects.get().reason in to_manager.body
    assert to_pm.subject == f"[annotate] careless paused on {world.project}"
