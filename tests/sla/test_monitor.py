"""The SLA monitor as a story on a frozen clock: a vendor slows down, the batch goes at risk, breaches, escalates,
recovers; each change is one event and one e-mail, and reruns say nothing new."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
import time_machine
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, connection

from projects.access.roles import PROJECT_MANAGER, VENDOR_MANAGER
from projects.access.scoping import visible
from projects.jobs import check_slas_task
from projects.models import Annotation, Batch, Review, SlaEvent, SlaStatus, Task
from projects.quality.stats.intervals import wilson_interval
from projects.sla import states
from projects.sla.acknowledgements import AcknowledgementRefused, acknowledge_event
from projects.sla.figures import measure_batch
from projects.sla.monitor import check_slas
from projects.sla.policies import resolve_policy
from tests.actors import SYSTEM, actor_for
from tests.factories import (
    AnnotatorFactory,
    BatchFactory,
    LabelingProjectFactory,
    SlaPolicyFactory,
    UserFactory,
    VendorFactory,
    VendorManagerFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
PUSHED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
DUE = dt.datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # due by midnight after Monday 9 March
SLOWDOWN = dt.date(2026, 3, 5)
LABEL = [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": ["refund"]}}]


class Scenario:
    """One project, one vendor with a manager, one batch of 240 tasks pushed on PUSHED and due on DUE."""

    def __init__(self, traveller) -> None:
        self.traveller = traveller
        self.project_manager = UserFactory(username="pm", email="pm@annotate.example")
        self.project = LabelingProjectFactory(created_by=self.project_manager)
        self.vendor = VendorFactory(name="Acme Labeling")
        self.vendor_manager = VendorManagerFactory(
            vendor=self.vendor, user=UserFactory(username="vm", email="vm@acme.example")
        )
        self.annotator = AnnotatorFactory(vendor=self.vendor)
        self.batch = BatchFactory(
            project=self.project,
            vendor=self.vendor,
            name="march",
            target_count=240,
            due_at=DUE,
            status=Batch.Status.IN_PROGRESS,
        )
        self.tasks = Task.objects.bulk_create(
            Task(project=self.project, batch=self.batch, external_id=f"t{number}", data={"message": "?"})
            for number in range(240)
        )
        self.labeled = 0
        self.policy = SlaPolicyFactory(project=self.project, grace_hours=24, window_days=7)

    def label(self, count: int) -> None:
        now = dt.datetime.now(UTC)
        tasks = self.tasks[self.labeled : self.labeled + count]
        Annotation.objects.bulk_create(
            Annotation(task=task, annotator=self.annotator, result=LABEL, created_at=now, updated_at=now)
            for task in tasks
        )
        self.labeled += len(tasks)

    def run_until(self, end: dt.datetime, pace) -> list:
        """Every six hours until `end`: the vendor labels `pace(now)` tasks, then the monitor runs."""
        changes = []
        now = dt.datetime.now(UTC)
        while now < end:
            now += dt.timedelta(hours=6)
            self.traveller.move_to(now)
            self.label(pace(now))
            changes += check_slas(actor=SYSTEM).changes
        return changes

    def states(self) -> list[tuple[str, str]]:
        return list(SlaEvent.objects.filter(batch=self.batch).order_by("id").values_list("from_state", "to_state"))


def good_then_slow(now: dt.datetime) -> int:
    """40 labels a day (10 every six hours) until Thursday, then 5 a day: 240 by the due date becomes hopeless."""
    if now.date() < SLOWDOWN:
        return 10
    return 2 if now.hour == 3 else 1


@pytest.fixture
def scenario():
    with time_machine.travel(PUSHED, tick=False) as traveller:
        yield Scenario(traveller)


def test_a_vendor_that_slows_down_goes_at_risk_breached_escalated_once_each_and_recovery_resolves(scenario):
    batch = scenario.batch
    mail.outbox.clear()

    first = check_slas(actor=SYSTEM)

    assert [(change.from_state, change.to_state) for change in first.changes] == [("", states.ON_TRACK)]
    assert first.emails_sent == 0  # starting on track is recorded, not e-mailed

    # Good pace for three days, then five labels a day: the forecast slips past the due date.
    scenario.run_until(dt.datetime(2026, 3, 6, 21, tzinfo=UTC), good_then_slow)
    assert scenario.states() == [("", states.ON_TRACK)]
    scenario.run_until(dt.datetime(2026, 3, 7, 3, tzinfo=UTC), good_then_slow)
    assert scenario.states()[-1] == (states.ON_TRACK, states.AT_RISK)
    at_risk = SlaEvent.objects.get(batch=batch, to_state=states.AT_RISK)
    assert [reason["figure"] for reason in at_risk.reasons] == [states.FORECAST]
    assert at_risk.figures["forecast"]["completion_date"] > "2026-03-09"

    # The due date passes with work remaining: breached; a day later, still unresolved: escalated.
    scenario.run_until(dt.datetime(2026, 3, 11, 3, tzinfo=UTC), good_then_slow)
    assert scenario.states() == [
        ("", states.ON_TRACK),
        (states.ON_TRACK, states.AT_RISK),
        (states.AT_RISK, states.BREACHED),
        (states.BREACHED, states.ESCALATED),
    ]
    breached = SlaEvent.objects.get(batch=batch, to_state=states.BREACHED)
    escalated = SlaEvent.objects.get(batch=batch, to_state=states.ESCALATED)
    assert breached.created_at == dt.datetime(2026, 3, 10, 3, tzinfo=UTC)
    assert escalated.created_at == breached.created_at + dt.timedelta(hours=24)
    assert [reason["figure"] for reason in escalated.reasons] == [states.DUE_DATE]
    assert escalated.figures["remaining"] == 240 - scenario.labeled

    # Every change after the start, and only those, was e-mailed once to the PM and the vendor manager.
    assert len(mail.outbox) == 3
    changes = SlaEvent.objects.filter(batch=batch).exclude(from_state="").order_by("id")
    for message, event in zip(mail.outbox, changes, strict=True):
        assert message.to == ["pm@annotate.example", "vm@acme.example"]
        assert str(batch) in message.subject
        assert "Acme Labeling" in message.subject
        assert event.get_to_state_display().lower() in message.subject
        assert event.notified_at is not None
    assert "due date 2026-03-10 00:00 passed with" in mail.outbox[1].body
    assert "labels counted toward the target:" in mail.outbox[2].body

    # Recovery: the vendor catches up on everything left.
    scenario.traveller.move_to(dt.datetime(2026, 3, 11, 9, tzinfo=UTC))
    scenario.label(240 - scenario.labeled)
    recovered = check_slas(actor=SYSTEM)

    assert [(change.from_state, change.to_state) for change in recovered.changes] == [
        (states.ESCALATED, states.RESOLVED)
    ]
    assert recovered.emails_sent == 1
    assert len(mail.outbox) == 4
    assert "resolved" in mail.outbox[3].subject.lower()
    assert "Every figure meets the policy." in mail.outbox[3].body

    # Nothing new: nothing recorded, nothing sent, now or days later.
    for later in (dt.timedelta(0), dt.timedelta(hours=6), dt.timedelta(days=3)):
        scenario.traveller.move_to(dt.datetime(2026, 3, 11, 9, tzinfo=UTC) + later)
        again = check_slas(actor=SYSTEM)
        assert (again.changes, again.emails_sent) == ([], 0)
    assert len(mail.outbox) == 4
    assert SlaEvent.objects.filter(batch=batch).count() == 5
    status = SlaStatus.objects.get(batch=batch, vendor=scenario.vendor)
    assert (status.state, status.since, status.breach_started_at) == (
        states.RESOLVED,
        dt.datetime(2026, 3, 11, 9, tzinfo=UTC),
        None,
    )


def test_running_the_monitor_twice_at_the_same_instant_records_and_sends_nothing_new(scenario):
    scenario.label(40)
    check_slas(actor=SYSTEM)
    sent = len(mail.outbox)

    again = check_slas(actor=SYSTEM)

    assert (again.changes, again.emails_sent, len(mail.outbox)) == ([], 0, sent)
    assert SlaEvent.objects.count() == 1


def test_an_acceptance_resolves_a_batch_in_trouble_even_though_it_is_no_longer_open(scenario):
    scenario.run_until(dt.datetime(2026, 3, 10, 3, tzinfo=UTC), good_then_slow)
    assert SlaStatus.objects.get(batch=scenario.batch).state == states.BREACHED

    Batch.objects.filter(pk=scenario.batch.pk).update(status=Batch.Status.ACCEPTED)
    scenario.traveller.shift(dt.timedelta(hours=1))
    changes = check_slas(actor=SYSTEM).changes

    assert [(change.from_state, change.to_state) for change in changes] == [(states.BREACHED, states.RESOLVED)]


def test_a_batch_without_a_policy_is_not_monitored(scenario):
    scenario.policy.delete()

    result = check_slas(actor=SYSTEM)

    assert (result.checked, result.changes, len(mail.outbox)) == (0, [], 0)


def test_the_command_prints_each_change_and_the_emails_sent(scenario):
    out = io.StringIO()

    call_command("check_slas", stdout=out)

    assert f"{scenario.batch} / Acme Labeling: new → on track" in out.getvalue()
    assert "1 batch checked, 1 state change, 0 e-mails sent." in out.getvalue()


# -- policies ------------------------------------------------------------------------------------------


def test_the_most_specific_policy_wins_batch_and_vendor_then_batch_then_vendor_then_project():
    project = LabelingProjectFactory()
    vendor, rival = VendorFactory(), VendorFactory()
    batch = BatchFactory(project=project, vendor=vendor)
    other_batch = BatchFactory(project=project, vendor=vendor)
    project_policy = SlaPolicyFactory(project=project)
    SlaPolicyFactory(project=project, vendor=rival)
    SlaPolicyFactory(project=project, batch=other_batch)
    assert resolve_policy(batch=batch) == project_policy

    vendor_policy = SlaPolicyFactory(project=project, vendor=vendor)
    assert resolve_policy(batch=batch) == vendor_policy

    batch_policy = SlaPolicyFactory(project=project, batch=batch)
    assert resolve_policy(batch=batch) == batch_policy

    batch_vendor_policy = SlaPolicyFactory(project=project, batch=batch, vendor=vendor)
    assert resolve_policy(batch=batch) == batch_vendor_policy
    # A policy for the batch with another vendor does not apply to this vendor's work.
    SlaPolicyFactory(project=project, batch=batch, vendor=rival)
    assert resolve_policy(batch=batch) == batch_vendor_policy


@pytest.mark.parametrize("scope", ["project", "vendor", "batch", "batch and vendor"])
def test_there_is_one_policy_per_scope(scope):
    batch = BatchFactory()
    fields = {
        "project": {},
        "vendor": {"vendor": batch.vendor},
        "batch": {"batch": batch},
        "batch and vendor": {"batch": batch, "vendor": batch.vendor},
    }[scope]
    SlaPolicyFactory(project=batch.project, **fields)

    with pytest.raises(IntegrityError):
        SlaPolicyFactory(project=batch.project, **fields)


def test_a_policy_floor_outside_zero_to_one_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        SlaPolicyFactory(min_gold_accuracy="1.500")


# -- acknowledgement and visibility -------------------------------------------------------------------


def test_an_acknowledgement_records_who_when_and_why_in_the_event_and_the_audit_log(scenario):
    check_slas(actor=SYSTEM)
    event = SlaEvent.objects.get()
    reader = UserFactory(username="lead", email="lead@annotate.example")
    scenario.traveller.move_to(dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC))

    acknowledge_event(event=event, actor=actor_for(reader), comment="  Called Acme; two more annotators from Monday.  ")

    event.refresh_from_db()
    assert event.acknowledged_by == reader
    assert event.acknowledged_at == dt.datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    assert event.acknowledgement_comment == "Called Acme; two more annotators from Monday."
    entry = LogEntry.objects.get_for_object(event).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == reader
    assert "acknowledgement_comment" in entry.changes_dict


def test_an_event_is_acknowledged_once_and_only_with_a_comment(scenario):
    check_slas(actor=SYSTEM)
    event = SlaEvent.objects.get()

    with pytest.raises(AcknowledgementRefused, match="needs a comment"):
        acknowledge_event(event=event, actor=actor_for(scenario.project_manager), comment="   ")
    acknowledge_event(event=event, actor=actor_for(scenario.project_manager), comment="Seen.")
    with pytest.raises(AcknowledgementRefused, match="acknowledged by pm"):
        acknowledge_event(event=event, actor=actor_for(scenario.vendor_manager.user), comment="Me too.")


def test_a_vendor_manager_sees_the_sla_of_their_own_vendor_only(scenario):
    rival_batch = BatchFactory(project=scenario.project, status=Batch.Status.IN_PROGRESS)
    check_slas(actor=SYSTEM)
    assert SlaEvent.objects.count() == 2
    user = scenario.vendor_manager.user
    user.groups.add(Group.objects.get(name=VENDOR_MANAGER))

    assert list(visible(user, SlaEvent.objects.all()).values_list("batch", flat=True)) == [scenario.batch.pk]
    assert list(visible(user, SlaStatus.objects.all()).values_list("batch", flat=True)) == [scenario.batch.pk]
    assert rival_batch.pk not in visible(user, SlaStatus.objects.all()).values_list("batch", flat=True)


def test_the_celery_beat_runs_the_check_every_sla_check_seconds(scenario):
    entry = settings.CELERY_BEAT_SCHEDULE["check-slas"]
    assert (entry["task"], entry["schedule"]) == ("projects.jobs.check_slas_task", float(settings.SLA_CHECK_SECONDS))

    assert check_slas_task.delay().get() == {"checked": 1, "changes": 1, "emails_sent": 0}
    assert check_slas_task.delay().get() == {"checked": 1, "changes": 0, "emails_sent": 0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_workers_checking_at_once_record_each_change_once_and_send_each_email_once():
    with time_machine.travel(PUSHED, tick=False) as traveller:
        scenario = Scenario(traveller)
        scenario.run_until(dt.datetime(2026, 3, 7, 3, tzinfo=UTC), good_then_slow)
        SlaEvent.objects.all().delete()
        SlaStatus.objects.all().delete()
        mail.outbox.clear()
        barrier = threading.Barrier(2)
        errors = []

        def worker() -> None:
            try:
                barrier.wait()
                check_slas(actor=SYSTEM)
            except Exception as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert list(SlaEvent.objects.values_list("from_state", "to_state")) == [("", states.AT_RISK)]
    assert len(mail.outbox) == 1


# -- admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def pm_client(client, scenario):
    scenario.project_manager.is_staff = True
    scenario.project_manager.save()
    scenario.project_manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(scenario.project_manager)
    return client


def test_the_admin_lists_batches_in_trouble_first_with_state_badges(pm_client, scenario):
    calm = BatchFactory(project=scenario.project, status=Batch.Status.IN_PROGRESS, name="calm", due_at=None)
    scenario.run_until(dt.datetime(2026, 3, 10, 3, tzinfo=UTC), good_then_slow)
    assert SlaStatus.objects.get(batch=calm).state == states.ON_TRACK

    page = pm_client.get("/admin/projects/slastatus/")

    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("Breached") < body.index("On track")
    assert pm_client.get("/admin/projects/slaevent/").status_code == 200
    assert pm_client.get("/admin/projects/slapolicy/").status_code == 200
    assert pm_client.get("/admin/projects/slapolicy/add/").status_code == 200
    assert pm_client.get(f"/admin/projects/slaevent/{SlaEvent.objects.first().pk}/change/").status_code == 200


def test_the_admin_acknowledges_events_with_a_comment_asked_for_on_a_page_of_its_own(pm_client, scenario):
    check_slas(actor=SYSTEM)
    event = SlaEvent.objects.get()
    selected = {"action": "acknowledge", "_selected_action": [event.pk]}

    asked = pm_client.post("/admin/projects/slaevent/", selected)
    assert asked.status_code == 200
    assert b'name="comment"' in asked.content
    event.refresh_from_db()
    assert event.acknowledged_at is None

    done = pm_client.post("/admin/projects/slaevent/", {**selected, "apply": "1", "comment": "On it."})

    assert done.status_code == 302
    event.refresh_from_db()
    assert (event.acknowledged_by, event.acknowledgement_comment) == (scenario.project_manager, "On it.")


# -- quality figures ---------------------------------------------------------------------------------------


def choice(value: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [value]}}]


def test_quality_figures_come_with_their_intervals_and_a_floor_wholly_missed_is_a_breach(scenario):
    batch = scenario.batch
    gold_tasks = scenario.tasks[:20]
    Task.objects.filter(pk__in=[task.pk for task in gold_tasks]).update(is_gold=True, gold_answer=choice("refund"))
    other = AnnotatorFactory(vendor=scenario.vendor)
    now = dt.datetime.now(UTC)
    labels = []
    for number, task in enumerate(gold_tasks):
        # 5 of 20 right on gold; the two annotators agree on every other task.
        first, second = ("refund" if number < 5 else "damaged"), ("damaged" if number % 2 else "not_received")
        for annotator, value in ((scenario.annotator, first), (other, second)):
            labels.append(
                Annotation(task=task, annotator=annotator, result=choice(value), created_at=now, updated_at=now)
            )
    Annotation.objects.bulk_create(labels)
    for annotation in Annotation.objects.filter(annotator=scenario.annotator)[:4]:
        Review.objects.create(annotation=annotation, reviewer=scenario.project_manager, verdict=Review.Verdict.ACCEPT)

    measured = measure_batch(batch=batch, now=now)

    gold = measured.figures.gold_accuracy
    assert (gold.value, (gold.low, gold.high)) == (5 / 40, wilson_interval(5, 40))
    assert measured.figures.qa_acceptance.value == 1.0
    assert measured.figures.qa_acceptance.low == pytest.approx(wilson_interval(4, 4)[0])
    agreement = measured.figures.agreement
    assert agreement.low <= agreement.value <= agreement.high
    assert measured.as_json()["gold_accuracy"]["n"] == 40

    scenario.policy.min_gold_accuracy = "0.800"
    scenario.policy.min_agreement = "0.100"
    scenario.policy.save()
    check_slas(actor=SYSTEM)
    status = SlaStatus.objects.get(batch=batch)
    assert status.state == states.BREACHED
    assert {reason["figure"] for reason in status.reasons} >= {states.GOLD_ACCURACY}
    assert status.figures["agreement"]["value"] == pytest.approx(agreement.value, abs=1e-4)
