"""Reads for the dashboard and the admin: what dynamic overlap bought against a fixed overlap."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from projects.models import LabelingProject, LabelStudioProject, OverlapChange, OverlapPolicy, Task


@dataclass(frozen=True)
class OverlapSavings:
    """Labels bought on the tasks dynamic overlap is done with, against what the fixed overlap would have bought."""

    policy: OverlapPolicy
    done_tasks: int  # labeled by at least the overlap the policy last gave them
    labels: int  # distinct annotators' labels (not skips) on those tasks
    open_tasks: int  # still waiting for an annotator
    raised_tasks: int  # tasks the policy gave more than the start
    fixed_overlap: int

    @property
    def fixed_labels(self) -> int:
        return self.done_tasks * self.fixed_overlap

    @property
    def saved_share(self) -> float | None:
        """1 - labels / fixed labels: above 0 when dynamic overlap bought fewer."""
        return 1 - self.labels / self.fixed_labels if self.fixed_labels else None


def overlap_savings(*, project: LabelingProject) -> OverlapSavings | None:
    """The project's dynamic overlap against its fixed comparison; None without a policy. Three queries."""
    policy = OverlapPolicy.objects.filter(project=project).first()
    if policy is None:
        return None
    labeling = LabelStudioProject.objects.filter(batch__project=project, kind=LabelStudioProject.Kind.LABELING)
    latest = OverlapChange.objects.filter(task=OuterRef("pk"), label_studio_project__in=labeling).order_by("-id")
    live = Q(annotations__is_deleted=False, annotations__was_cancelled=False)
    rows = (
        Task.objects.filter(pushes__label_studio_project__in=labeling)
        .annotate(
            labels=Count("annotations__label_studio_user_id", filter=live, distinct=True),
            overlap=Coalesce(Subquery(latest.values("to_overlap")[:1]), policy.starting_overlap),
        )
        .values_list("labels", "overlap")
    )
    done = labels = waiting = raised = 0
    for task_labels, overlap in rows.iterator(chunk_size=5000):
        raised += overlap > policy.starting_overlap
        if task_labels >= overlap:
            done += 1
            labels += task_labels
        else:
            waiting += 1
    return OverlapSavings(policy, done, labels, waiting, raised, policy.fixed_overlap_compared)
