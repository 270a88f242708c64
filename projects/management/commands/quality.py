from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from projects.management.base import AnnotateCommand
from projects.models import Batch, LabelingProject
from projects.quality.answer_key import load_answer_key
from projects.quality.batch_agreement import compute_agreement
from projects.quality.consensus.build import annotator_consensus_agreement, preview_aggregation, truth_accuracy
from projects.quality.gold.scores import ALL_CONTROLS, score_gold
from projects.quality.loading import annotator_names
from projects.quality.sampling.qa_sample import plan_qa_sample


def _share(value: float | None) -> str:
    return "   —" if value is None else f"{value:.2f}"


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" [{low:.2f}, {high:.2f}]"


class Command(AnnotateCommand):
    help = (
        "Quality figures per batch: gold accuracy per annotator, agreement, majority vote against Dawid-Skene "
        "(and against an answer key when there is one: the demo writes one), QA sampling weights. Reads only."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="The project's slug.")
        parser.add_argument("--batch", type=int, help="Only this batch (id).")
        parser.add_argument("--resamples", type=int, default=200, help="Bootstrap resamples per interval.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the bootstrap and the sampling preview.")
        parser.add_argument(
            "--answer-key",
            type=Path,
            help="JSON file {external id: {control: answer}} to score the aggregation against "
            "(default: the demo's, when there is one).",
        )

    def handle(
        self, *args, project: str, batch: int | None, resamples: int, seed: int, answer_key: Path | None, **options
    ) -> None:
        labeling_project = LabelingProject.objects.filter(slug=project).first()
        if labeling_project is None:
            raise CommandError(f'No project with the slug "{project}".')
        batches = Batch.objects.filter(project=labeling_project).select_related("project", "vendor")
        if batch is not None:
            batches = batches.filter(pk=batch)
            if not batches.exists():
                raise CommandError(f"Project {project} has no batch with id {batch}.")
        if answer_key is not None and not answer_key.exists():
            raise CommandError(f"No answer key at {answer_key}.")
        truth = load_answer_key(answer_key)
        for each in batches.order_by("id"):
            self._batch(each, truth, resamples, seed)

    def _batch(self, batch: Batch, answer_key: dict, resamples: int, seed: int) -> None:
        write = self.stdout.write
        write(self.style.MIGRATE_HEADING(f"Batch {batch.pk} · {batch.name} · {batch.vendor or 'no vendor'}"))

        write("  Gold accuracy per annotator (Wilson 95% interval; all controls pooled, then per control):")
        scores = score_gold(project=batch.project, batch=batch)
        if not scores:
            write("    no gold task in this batch was labeled")
        for score in scores:
            if score.control == ALL_CONTROLS:
                write(
                    f"    {score.username:<16} {score.vendor:<20} {_share(score.accuracy)}"
                    f"{_interval(score.low, score.high)}  ({score.correct}/{score.seen})"
                )
            else:
                write(f"      {score.control:<14} {_share(score.accuracy)}{_interval(score.low, score.high)}")

        write("  Agreement (bootstrap 95% interval):")
        agreement = compute_agreement(batch=batch, resamples=resamples, seed=seed)
        for figure in agreement.figures:
            subject = "" if figure.scope == "batch" else f"{figure.scope} {figure.subject} · "
            detail = figure.reason if figure.value is None else f"{figure.items} items"
            write(
                f"    {figure.control:<14} {subject}{figure.statistic} {_share(figure.value)}"
                f"{_interval(figure.low, figure.high)} ({detail})"
            )

        aggregation = preview_aggregation(batch=batch)
        write(f"  Aggregation: {aggregation.needs_adjudication} items need adjudication")
        truth_by_task = self._truth(batch, answer_key)
        for name, control in aggregation.controls.items():
            line = f"    {name:<14} method {control.method}"
            truth = {task: answer[name] for task, answer in truth_by_task.items() if name in answer}
            if truth:
                majority = truth_accuracy(control.majority, truth)
                line += f" · against the answer key: majority vote {self._ratio(majority)}"
                if control.dawid_skene is not None:
                    line += f", Dawid-Skene {self._ratio(truth_accuracy(control.dawid_skene.items, truth))}"
            write(line)

        plan = plan_qa_sample(batch=batch, seed=seed)
        names = annotator_names(row.annotator for row in plan.annotators)
        with_consensus = annotator_consensus_agreement(batch=batch)
        write(
            f"  QA sampling (seed {seed}): {len(plan.items)} annotations drawn, base rate {plan.target}; "
            "per annotator: mean risk weight, agreement with consensus, drawn, risk signals"
        )
        for row in sorted(plan.annotators, key=lambda row: -row.mean_weight):
            reasons = ", ".join(row.reasons) or "no risk signal"
            write(
                f"    {names[row.annotator].username:<16} weight {row.mean_weight:5.2f}  "
                f"consensus {_share(with_consensus.get(row.annotator))}  "
                f"drawn {row.sampled}/{row.annotations}  {reasons}"
            )

    @staticmethod
    def _truth(batch: Batch, answer_key: dict) -> dict[int, dict]:
        """The answer key for the batch's non-gold tasks (gold tasks would flatter Dawid-Skene, which holds them)."""
        if not answer_key:
            return {}
        tasks = batch.tasks.filter(is_gold=False).values_list("id", "external_id")
        return {task: answer_key[external_id] for task, external_id in tasks if external_id in answer_key}

    @staticmethod
    def _ratio(counts: tuple[int, int]) -> str:
        right, total = counts
        return f"{right}/{total} ({right / total:.1%})" if total else "—"
