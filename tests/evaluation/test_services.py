"""Evaluating a model against a gold dataset version: a file or an endpoint in, a stored run and report out."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from projects.access.roles import PROJECT_MANAGER
from projects.datasets.builds import build_dataset_version
from projects.datasets.queries import diff_dataset_versions
from projects.evaluation.bad_cases import send_bad_cases
from projects.evaluation.endpoint import ChatEndpoint, ask, parse_answer
from projects.evaluation.errors import EvaluationRefused, PredictionFileError
from projects.evaluation.runs import compare_runs, evaluate_predictions
from projects.models import Batch, EvaluationPrediction, EvaluationRun, ItemConsensus, Task
from tests.actors import actor_for
from tests.factories import BatchFactory, LabelingProjectFactory, TaskFactory, member_of

pytestmark = pytest.mark.django_db

GOLD = [
    "refund",
    "refund",
    "refund",
    "damaged",
    "damaged",
    "damaged",
    "not_received",
    "not_received",
    "refund",
    "damaged",
]
# Model A gets items 0-7 right, B gets 0-5 right; both miss 8 and 9 (in different ways for 8).
PREDICTIONS_A = [*GOLD[:8], "damaged", "refund"]
PREDICTIONS_B = [*GOLD[:6], "refund", "refund", "not_received", "refund"]
SCORES = [0.95, 0.9, 0.85, 0.8, 0.9, 0.55, 0.7, 0.65, 0.99, 0.6]


@pytest.fixture
def manager():
    return member_of(PROJECT_MANAGER, username="pm", is_staff=True)


@pytest.fixture
def version(manager):
    """Version 1 of a project with ten labeled conversations, half English, half Chinese, one hallucination."""
    project = LabelingProjectFactory(
        slug="eval-triage", evaluation_prompt_template="Buyer: {message}\nLabels: {labels}"
    )
    batch = BatchFactory(project=project)
    for number, label in enumerate(GOLD):
        task = TaskFactory(
            project=project,
            batch=batch,
            external_id=f"conv-{number:02d}",
            language="en" if number % 2 else "zh",
            data={"message": f"message {number} about {label}", "reply": "We are on it."},
        )
        for control, value in (("scenario", label), ("hallucination", "yes" if number == 3 else "no")):
            ItemConsensus.objects.create(
                task=task, control_name=control, method="majority", label=value, confidence=0.9, ratings=3
            )
    return build_dataset_version(project=project, actor=actor_for(manager))


def write_predictions(path, labels, *, scores=SCORES, model="triage-bot", model_version="1"):
    lines = [
        {
            "external_id": f"conv-{number:02d}",
            "prediction": label,
            "score": scores[number],
            "latency_ms": 100 + 10 * number,
            "model": model,
            "model_version": model_version,
        }
        for number, label in enumerate(labels)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_a_jsonl_run_is_scored_and_stored_with_the_whole_report(version, manager, tmp_path):
    path = write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A[:9])  # conv-09 has no prediction

    run = evaluate_predictions(
        dataset_version=version, control="scenario", predictions_path=path, actor=actor_for(manager)
    )

    assert (run.model_name, run.model_version, run.source) == ("triage-bot", "1", "a.jsonl")
    assert (run.item_count, run.missing_count, run.created_by) == (9, 1, manager)
    report = run.metrics
    assert report["accuracy"] == pytest.approx(8 / 9)
    assert report["labels"] == ["refund", "not_received", "damaged"]
    # rows gold, columns predicted: the one refund taken for damaged is conv-08.
    assert report["confusion_matrix"] == [[3, 0, 1], [0, 2, 0], [0, 0, 3]]
    refund = next(entry for entry in report["per_class"] if entry["label"] == "refund")
    assert (refund["precision"], refund["recall"], refund["support"]) == (1.0, 0.75, 4)
    assert report["kappa"] is not None and 0.8 < report["kappa"] < 1
    assert report["calibration"]["items"] == 9 and 0 <= report["calibration"]["ece"] <= 1
    assert report["latency"]["p50_ms"] == pytest.approx(140)
    assert report["hallucination"]["gold"]["hallucinated"] == 1
    assert {entry["value"] for entry in report["slices"]["language"]} == {"en", "zh"}
    assert {entry["value"] for entry in report["slices"]["scenario"]} == {"refund", "damaged", "not_received"}
    assert report["worst_cases"] == [
        {"external_id": "conv-08", "gold": "refund", "prediction": "damaged", "score": 0.99, "language": "zh"}
    ]
    assert EvaluationPrediction.objects.filter(run=run).count() == 9
    assert EvaluationPrediction.objects.get(run=run, external_id="conv-08").correct is False


def test_a_bad_file_is_refused_naming_line_and_field_and_nothing_is_written(version, manager, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"external_id": "conv-00", "prediction": "refund", "model": "m"}),
                json.dumps({"external_id": "conv-77", "prediction": "refund"}),
                json.dumps({"external_id": "conv-01", "prediction": "refnd"}),
                json.dumps({"external_id": "conv-02", "prediction": "refund", "score": 1.5}),
                "not json",
            ]
        ),
        encoding="utf-8",
    )

    with pytest.raises(PredictionFileError) as refused:
        evaluate_predictions(
            dataset_version=version, control="scenario", predictions_path=path, actor=actor_for(manager)
        )

    message = str(refused.value)
    assert "bad.jsonl line 2, field external_id: 'conv-77' is not an item" in message
    assert "bad.jsonl line 3, field prediction: 'refnd' is not a label of scenario" in message
    assert "bad.jsonl line 4, field score: 1.5 is not a number from 0 to 1" in message
    assert "bad.jsonl line 5: not JSON" in message
    assert not EvaluationRun.objects.exists() and not EvaluationPrediction.objects.exists()


def test_a_control_that_is_not_single_choice_is_refused(version, manager, tmp_path):
    path = write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A)
    with pytest.raises(EvaluationRefused, match="'helpfulness' is not a single-choice control"):
        evaluate_predictions(
            dataset_version=version, control="helpfulness", predictions_path=path, actor=actor_for(manager)
        )


class StandInModel(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that reads the scenario out of the prompt; the first request fails."""

    requests: list[dict] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), **body})
        if len(type(self).requests) == 1:
            self.send_response(503)
            self.end_headers()
            return
        prompt = body["messages"][0]["content"]
        label = prompt.split(" about ")[1].split("\n")[0]
        content = "damaged" if label == "not_received" else json.dumps({"label": label, "score": 0.8})
        answer = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stand_in_model():
    StandInModel.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_endpoint_mode_asks_the_model_per_item_with_the_project_prompt(version, manager, stand_in_model):
    endpoint = ChatEndpoint(stand_in_model, "stand-in", timeout=5, retries=2, backoff=0.01)

    run = evaluate_predictions(dataset_version=version, control="scenario", endpoint=endpoint, actor=actor_for(manager))

    assert run.item_count == 10 and run.missing_count == 0
    assert run.model_name == "stand-in" and run.source == f"{stand_in_model}/v1/chat/completions"
    # The two not_received items come back as a bare "damaged", without a score.
    assert run.metrics["accuracy"] == pytest.approx(0.8)
    assert run.metrics["calibration"]["items"] == 8
    assert run.metrics["latency"]["items"] == 10
    asked = StandInModel.requests[-1]
    assert asked["path"] == "/v1/chat/completions" and asked["model"] == "stand-in"
    assert asked["messages"][0]["content"].endswith("Labels: refund, not_received, damaged")
    assert len(StandInModel.requests) == 11  # one 503, retried


def test_the_endpoint_api_key_setting_is_sent_as_a_bearer_token_on_every_attempt(stand_in_model, settings):
    endpoint = ChatEndpoint(stand_in_model, "stand-in", timeout=5, retries=2, backoff=0.01)
    options = {"refund": "Refund", "damaged": "Damaged"}

    settings.EVALUATION_ENDPOINT_API_KEY = "sk-evaluation-7f3a"
    assert ask(endpoint, "A message about refund\n", options).label == "refund"
    assert [asked["authorization"] for asked in StandInModel.requests] == ["Bearer sk-evaluation-7f3a"] * 2

    settings.EVALUATION_ENDPOINT_API_KEY = ""
    ask(endpoint, "A message about damaged\n", options)
    assert StandInModel.requests[-1]["authorization"] is None


def test_an_unreachable_endpoint_is_refused_and_nothing_is_written(version, manager):
    endpoint = ChatEndpoint("http://127.0.0.1:9", "stand-in", timeout=1, retries=1, backoff=0.01)
    with pytest.raises(EvaluationRefused, match="did not answer after 2 attempts"):
        evaluate_predictions(dataset_version=version, control="scenario", endpoint=endpoint, actor=actor_for(manager))
    assert not EvaluationRun.objects.exists()


def test_answers_are_parsed_from_json_fenced_json_or_a_bare_label():
    options = {"refund": "Refund 退款", "damaged": "Damaged 商品损坏"}
    assert parse_answer('{"label": "refund", "score": 0.7}', options) == ("refund", 0.7)
    assert parse_answer('```json\n{"label": "Damaged 商品损坏"}\n```', options) == ("damaged", None)
    assert parse_answer("Refund.\nBecause the buyer asks for money back.", options) == ("refund", None)


def test_compare_runs_gives_the_difference_its_interval_mcnemar_and_the_disagreements(version, manager, tmp_path):
    run_a = evaluate_predictions(
        dataset_version=version,
        control="scenario",
        predictions_path=write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A),
        actor=actor_for(manager),
    )
    run_b = evaluate_predictions(
        dataset_version=version,
        control="scenario",
        predictions_path=write_predictions(tmp_path / "b.jsonl", PREDICTIONS_B, model_version="2"),
        actor=actor_for(manager),
    )

    result = compare_runs(run_a, run_b)

    assert result.items == 10
    assert (result.accuracy_a, result.accuracy_b) == (0.8, 0.6)
    assert result.bootstrap.difference == pytest.approx(0.2)
    assert result.bootstrap.low <= 0.2 <= result.bootstrap.high
    assert (result.mcnemar.only_a_correct, result.mcnemar.only_b_correct) == (2, 0)
    assert result.mcnemar.exact and result.mcnemar.p_value == pytest.approx(0.5)
    assert [(d.external_id, d.better) for d in result.disagreements] == [
        ("conv-06", "a"),
        ("conv-07", "a"),
        ("conv-08", "neither"),
    ]


def test_bad_cases_go_back_as_a_pre_annotated_batch_and_the_next_version_takes_them(version, manager, tmp_path):
    run = evaluate_predictions(
        dataset_version=version,
        control="scenario",
        predictions_path=write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A),
        actor=actor_for(manager),
    )

    batch = send_bad_cases(run=run, actor=actor_for(manager), confidence_below=0.6)

    # Wrong (conv-08, conv-09) most confident first, then right but unsure (conv-05 at 0.55).
    tasks = list(Task.objects.filter(batch=batch).order_by("id"))
    assert [task.external_id for task in tasks] == [f"conv-08~{run.pk}", f"conv-09~{run.pk}", f"conv-05~{run.pk}"]
    original = version.project.tasks.get(external_id="conv-08")
    assert tasks[0].data == original.data and tasks[0].language == original.language
    assert batch.vendor == original.batch.vendor and batch.target_count == 3
    assert tasks[0].predictions == [
        {
            "result": [
                {"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": ["damaged"]}}
            ],
            "model_version": "triage-bot 1",
            "score": 0.99,
        }
    ]
    with pytest.raises(EvaluationRefused, match="already sent"):
        send_bad_cases(run=run, actor=actor_for(manager))
    assert Batch.objects.filter(project=version.project).count() == 2

    for task in tasks:  # labeled and accepted: a confident consensus on every control
        for control, value in (("scenario", "refund"), ("hallucination", "no")):
            ItemConsensus.objects.create(
                task=task, control_name=control, method="majority", label=value, confidence=0.95, ratings=3
            )
    next_version = build_dataset_version(project=version.project, actor=actor_for(manager))
    assert diff_dataset_versions(version, next_version).added == tuple(sorted(task.external_id for task in tasks))


def test_the_commands_evaluate_compare_and_send(version, manager, tmp_path, capsys):
    path_a = write_predictions(tmp_path / "a.jsonl", PREDICTIONS_A)
    path_b = write_predictions(tmp_path / "b.jsonl", PREDICTIONS_B)

    call_command("evaluate", str(version.pk), "--control", "scenario", "--predictions", str(path_a))
    call_command("evaluate", str(version.pk), "--control", "scenario", "--predictions", str(path_b), "--model", "b")
    run_a, run_b = EvaluationRun.objects.order_by("id")
    call_command("compare_runs", str(run_a.pk), str(run_b.pk))
    call_command("send_bad_cases", str(run_a.pk), "--limit", "1")

    out = capsys.readouterr().out
    assert f"Evaluation run {run_a.pk}: 10 items scored" in out and "accuracy 0.800" in out
    assert "A − B +0.200" in out and "only A right 2, only B right 0" in out
    assert run_b.model_name == "b"
    assert Task.objects.filter(external_id=f"conv-08~{run_a.pk}").exists()
