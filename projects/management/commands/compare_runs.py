from __future__ import annotations

from django.core.management.base import CommandError

from projects.evaluation.runs import compare_runs
from projects.management.base import AnnotateCommand
from projects.models import EvaluationRun


class Command(AnnotateCommand):
    help = "Compare two evaluation runs on the same dataset version: accuracy difference, McNemar, disagreements."

    def add_arguments(self, parser) -> None:
        parser.add_argument("run_a", type=int)
        parser.add_argument("run_b", type=int)
        parser.add_argument("--show", type=int, default=20, help="Disagreements to list (default 20).")

    def handle(self, *args, run_a: int, run_b: int, show: int, **options) -> None:
        runs = EvaluationRun.objects.select_related("dataset_version__project").in_bulk([run_a, run_b])
        for run_id in (run_a, run_b):
            if run_id not in runs:
                raise CommandError(f"No evaluation run with id {run_id}.")
        result = compare_runs(runs[run_a], runs[run_b])
        bootstrap, test = result.bootstrap, result.mcnemar
        self.stdout.write(
            f"A = run {run_a} ({result.run_a.model_name} {result.run_a.model_version}), "
            f"B = run {run_b} ({result.run_b.model_name} {result.run_b.model_version}), {result.items} items\n"
            f"accuracy A {result.accuracy_a:.3f}, B {result.accuracy_b:.3f}; A − B {bootstrap.difference:+.3f} "
            f"({bootstrap.confidence:.0%} paired bootstrap interval {bootstrap.low:+.3f} to {bootstrap.high:+.3f})\n"
            f"McNemar: only A right {test.only_a_correct}, only B right {test.only_b_correct}, "
            f"p = {test.p_value:.4g} ({'exact' if test.exact else 'chi-square'})\n"
            f"{len(result.disagreements)} items where they disagree"
        )
        for disagreement in result.disagreements[:show]:
            self.stdout.write(
                f"  {disagreement.external_id}: gold {disagreement.gold}, A {disagreement.prediction_a}, "
                f"B {disagreement.prediction_b} (right: {disagreement.better})"
            )
