from __future__ import annotations

from django.core.management.base import CommandError

from projects.evaluation.endpoint import ChatEndpoint
from projects.evaluation.runs import evaluate_predictions
from projects.management.base import AnnotateCommand
from projects.models import DatasetVersion


class Command(AnnotateCommand):
    writes = True
    help = (
        "Score a model's predictions (a JSONL file, or asked of its OpenAI-compatible chat endpoint) "
        "against a dataset version, store the run and print the report's summary."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("version_id", type=int, help="The dataset version's id.")
        parser.add_argument("--control", required=True, help="The single-choice control to evaluate, e.g. scenario.")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--predictions", help="JSONL file: external_id, prediction, score, latency_ms per line.")
        source.add_argument("--endpoint", help="Base URL of an OpenAI-compatible server ({URL}/v1/chat/completions).")
        parser.add_argument("--model", default="", help="Model name (sent to the endpoint; overrides the file's).")
        parser.add_argument("--model-version", default="")
        parser.add_argument("--timeout", type=float, default=30.0, help="Seconds per endpoint request.")
        parser.add_argument("--retries", type=int, default=2, help="Endpoint retries after a timeout or 5xx.")

    def handle(self, *args, version_id: int, control: str, predictions: str | None, endpoint: str | None, **options):
        version = DatasetVersion.objects.select_related("project").filter(pk=version_id).first()
        if version is None:
            raise CommandError(f"No dataset version with id {version_id}.")
        chat = None
        if endpoint:
            if not options["model"]:
                raise CommandError("--model is required with --endpoint: it is the model the endpoint is asked for.")
            chat = ChatEndpoint(endpoint, options["model"], timeout=options["timeout"], retries=options["retries"])
        run = evaluate_predictions(
            dataset_version=version,
            control=control,
            predictions_path=predictions,
            endpoint=chat,
            actor=self.actor,
            model_name=options["model"],
            model_version=options["model_version"],
        )
        self.stdout.write(summary(run.pk, run.item_count, run.missing_count, run.metrics))


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def summary(run_id: int, items: int, missing: int, report: dict) -> str:
    lines = [
        f"Evaluation run {run_id}: {items} items scored, {missing} without a prediction",
        f"accuracy {_figure(report['accuracy'])}  macro F1 {_figure(report['macro_f1'])}  "
        f"micro F1 {_figure(report['micro_f1'])}  kappa {_figure(report['kappa'])}",
    ]
    if report.get("calibration"):
        lines.append(f"ECE {_figure(report['calibration']['ece'])} over {report['calibration']['items']} scored items")
    if report.get("latency"):
        latency = report["latency"]
        lines.append(
            f"latency ms p50 {latency['p50_ms']:.0f}  p95 {latency['p95_ms']:.0f}  p99 {latency['p99_ms']:.0f}"
        )
    hallucination = report.get("hallucination") or {}
    for whose in ("gold", "predicted"):
        if hallucination.get(whose):
            lines.append(f"hallucination rate ({whose}) {_figure(hallucination[whose]['rate'])}")
    lines.append("per class (precision / recall / F1 / gold items):")
    for entry in report["per_class"]:
        lines.append(
            f"  {entry['label']}: {_figure(entry['precision'])} / {_figure(entry['recall'])} / "
            f"{_figure(entry['f1'])} / {entry['support']}"
        )
    for name, slices in report.get("slices", {}).items():
        lines.append(
            f"by {name}: "
            + ", ".join(f"{entry['value']} {_figure(entry['accuracy'])} ({entry['items']})" for entry in slices)
        )
    return "\n".join(lines)
