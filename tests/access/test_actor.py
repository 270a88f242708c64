"""Who made a change is in the audit log whatever the interface: a command's --by, the shell login, a job, a request."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from projects.audit import Actor
from projects.models import Batch, DatasetVersion, EvaluationRun, ItemConsensus, SlaEvent, TaskImport
from projects.sla.acknowledgements import AcknowledgementRefused, acknowledge_event
from tests.evaluation.test_services import PREDICTIONS_A, manager, version, write_predictions  # noqa: F401
from tests.factories import BatchFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db
FILES = Path(__file__).resolve().parent.parent / "ingest" / "files"


def _created(instance) -> LogEntry:
    return LogEntry.objects.get_for_object(instance).get(action=LogEntry.Action.CREATE)


def test_a_dataset_build_from_the_command_names_the_person_given_by(version, manager):  # noqa: F811
    task = TaskFactory(project=version.project, batch=version.project.batches.first(), external_id="conv-new")
    ItemConsensus.objects.create(
        task=task, control_name="scenario", method="majority", label="refund", confidence=0.9, ratings=3
    )

    call_command("build_dataset", version.project.slug, "--by", "pm", "--no-progress")

    entry = _created(DatasetVersion.objects.latest("id"))
    assert entry.actor == manager
    assert entry.additional_data == {"actor": "pm", "via": "command build_dataset"}


def test_an_evaluation_and_its_bad_cases_sent_from_commands_name_the_person(version, manager, tmp_path):  # noqa: F811
    predictions = write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A)

    call_command("evaluate", str(version.pk), "--control", "scenario", "--predictions", str(predictions), "--by", "pm")
    run = EvaluationRun.objects.get()
    call_command("send_bad_cases", str(run.pk), "--by", "pm")

    assert (_created(run).actor, _created(run).additional_data["via"]) == (manager, "command evaluate")
    bad_cases = Batch.objects.get(name__contains=f"run {run.pk}")
    assert (_created(bad_cases).actor, _created(bad_cases).additional_data["via"]) == (
        manager,
        "command send_bad_cases",
    )
    assert run.created_by == manager


def test_without_by_a_command_names_the_shell_login_that_ran_it(version, tmp_path):  # noqa: F811
    predictions = write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A)

    call_command("evaluate", str(version.pk), "--control", "scenario", "--predictions", str(predictions))

    entry = _created(EvaluationRun.objects.get())
    assert entry.actor is None
    assert entry.additional_data == {"actor": f"shell user {getpass.getuser()}", "via": "command evaluate"}


def test_an_import_from_the_command_is_one_audited_event_with_its_actor(triage_project):
    person = UserFactory(username="ops")

    call_command("import_tasks", "triage", str(FILES / "good" / "mixed.jsonl"), "--no-progress", "--by", "ops")

    task_import = TaskImport.objects.get()
    entry = _created(task_import)
    assert (entry.actor, entry.additional_data["via"], task_import.created_by) == (
        person,
        "command import_tasks",
        person,
    )


def test_by_a_user_who_does_not_exist_is_refused_before_anything_is_written(triage_project):
    with pytest.raises(CommandError, match="--by nobody: no active user of that name"):
        call_command("import_tasks", "triage", str(FILES / "good" / "mixed.jsonl"), "--no-progress", "--by", "nobody")

    assert not TaskImport.objects.exists()


def test_a_use_case_inside_a_request_names_its_actor_and_gives_the_request_its_own_back():
    signed_in, other = UserFactory(username="signed-in"), UserFactory(username="other")
    with set_actor(signed_in):  # what the audit middleware does for a request
        with Actor.person(other, via="admin").recorded():
            inner = BatchFactory()
        after = BatchFactory()

    assert _created(inner).actor == other
    assert _created(after).actor == signed_in


def test_annotate_itself_is_named_where_no_person_acts():
    with Actor.system("SLA monitor", via="job check_slas").recorded():
        batch = BatchFactory()

    entry = _created(batch)
    assert entry.actor is None
    assert entry.additional_data == {"actor": "annotate (SLA monitor)", "via": "job check_slas"}


def test_a_write_use_case_called_without_an_actor_is_a_type_error_not_an_unattributed_write():
    event = SlaEvent(pk=1)
    with pytest.raises(TypeError):
        acknowledge_event(event=event, comment="Seen.")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="actor must be an Actor"):
        acknowledge_event(event=event, actor=UserFactory(), comment="Seen.")


def test_only_a_person_acknowledges_an_sla_event():
    with pytest.raises(AcknowledgementRefused, match="Only a person acknowledges"):
        acknowledge_event(event=SlaEvent(pk=1), actor=Actor.system("SLA monitor", via="job"), comment="Seen.")


def test_the_admins_audit_log_names_annotate_itself_and_the_interface(client):
    with Actor.system("SLA monitor", via="job check_slas").recorded():
        BatchFactory(name="W49 Lingua")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    page = client.get("/admin/auditlog/logentry/").content.decode()

    assert "annotate (SLA monitor) <small>via job check_slas</small>" in page
