"""The bad-case loop: an evaluation run's wrong and low-confidence items sent back to labeling as a new batch.

`send_bad_cases` copies the run's wrong and low-confidence items into new tasks of the version's project,
external_id "<external_id>~<run id>", in a new batch named after the run, with the model's output as a
pre-annotation. They are labeled like any task; once their labels qualify (consensus above the project's
threshold, or a QA correction or adjudication), the project's next `build_dataset_version` takes them in as new
items, and `diff_dataset_versions(previous, next).added` lists them. The copy is a new item beside the original
(external_id is unique per project and a built version never changes), in its original's split
(projects.datasets.builds.split_key), so one conversation never sits in two splits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import transaction

from projects.audit import Actor, records_actor
from projects.datasets.builds import BAD_CASE_SEPARATOR
from projects.evaluation.errors import EvaluationRefused
from projects.evaluation.runs import WRITE_CHUNK
from projects.labeling.label_config import answer_to_result, cached_label_config
from projects.models import Batch, EvaluationPrediction, EvaluationRun, Task, Vendor


def bad_cases(run: EvaluationRun, *, confidence_below: float = 0.6) -> Iterable[EvaluationPrediction]:
    """The run's wrong predictions, most confident first, then its right but unsure ones, least confident first."""
    wrong = run.predictions.filter(correct=False).order_by("-score", "external_id")
    unsure = run.predictions.filter(correct=True, score__lt=confidence_below).order_by("score", "external_id")
    yield from wrong.iterator()
    yield from unsure.iterator()


def bad_case_batch_name(run: EvaluationRun) -> str:
    return f"bad cases of evaluation run {run.pk}"


@records_actor
@transaction.atomic
def send_bad_cases(
    *,
    run: EvaluationRun,
    actor: Actor,
    confidence_below: float = 0.6,
    limit: int | None = None,
    vendor: Vendor | None = None,
) -> Batch:
    """A new batch of the run's wrong and low-confidence items, as new tasks pre-annotated with the model's output.

    Atomic; sending the same run twice is refused (the batch name carries the run). The vendor defaults
    to the one that labeled most of the original tasks.
    """
    chosen = _chosen_bad_cases(run, confidence_below, limit)
    originals = _original_tasks(run, chosen)
    if vendor is None:
        vendor = _vendor_of_most(originals)
    project = run.dataset_version.project
    batch = Batch(project=project, name=bad_case_batch_name(run), vendor=vendor, target_count=len(chosen))
    batch.full_clean()
    batch.save()
    _copy_tasks(run, batch, chosen, originals)
    return batch


def _chosen_bad_cases(run: EvaluationRun, confidence_below: float, limit: int | None) -> list[EvaluationPrediction]:
    """The bad cases to send, refused if the run's were already sent or it has none."""
    name = bad_case_batch_name(run)
    if Batch.objects.filter(project=run.dataset_version.project, name=name).exists():
        raise EvaluationRefused(f"Run {run.pk}'s bad cases were already sent (batch {name!r}).")
    chosen = list(bad_cases(run, confidence_below=confidence_below))[:limit]
    if not chosen:
        raise EvaluationRefused(f"Run {run.pk} has no wrong or low-confidence (< {confidence_below:g}) items.")
    return chosen


def _original_tasks(run: EvaluationRun, chosen: list[EvaluationPrediction]) -> dict[str, Task]:
    """The task behind each chosen item of the version, by external_id."""
    items = run.dataset_version.items.filter(external_id__in=[p.external_id for p in chosen])
    return {item.external_id: item.task for item in items.select_related("task__batch")}


def _vendor_of_most(originals: dict[str, Task]) -> Vendor | None:
    """The vendor that labeled most of the original tasks, if any did."""
    vendors = Counter(task.batch.vendor_id for task in originals.values() if task.batch and task.batch.vendor_id)
    return Vendor.objects.filter(pk=vendors.most_common(1)[0][0]).first() if vendors else None


def _copy_tasks(
    run: EvaluationRun, batch: Batch, chosen: list[EvaluationPrediction], originals: dict[str, Task]
) -> None:
    """A copy of each chosen item's task in the batch, with the model's prediction as its pre-annotation."""
    config = cached_label_config(batch.project.label_config)
    model = f"{run.model_name} {run.model_version}".strip()
    Task.objects.bulk_create(
        [
            Task(
                project=batch.project,
                batch=batch,
                external_id=f"{prediction.external_id}{BAD_CASE_SEPARATOR}{run.pk}",
                data=originals[prediction.external_id].data,
                original_data=originals[prediction.external_id].original_data,
                language=originals[prediction.external_id].language,
                predictions=[
                    {
                        "result": answer_to_result(config, {run.control: prediction.prediction}),
                        "model_version": model,
                        **({"score": prediction.score} if prediction.score is not None else {}),
                    }
                ],
            )
            for prediction in chosen
        ],
        batch_size=WRITE_CHUNK,
    )
