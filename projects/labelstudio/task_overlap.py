"""A task's own overlap in Label Studio, and its project's maximum annotations (which rewrites the tasks').

Facts of Label Studio 1.23.2 (tests/labelstudio/test_task_overlap_live.py): `PATCH /api/tasks/{id}/` takes
`overlap` and `is_labeled`, and leaves `is_labeled` as it was when only the overlap is sent, so the label
stream, which serves only unlabeled tasks, would not offer a raised task again: both are sent. A change of
the project's `maximum_annotations` sets every task above 1 to the new value.
"""

from __future__ import annotations

from collections.abc import Iterator

from projects.labelstudio.client import LabelStudioClient


def set_task_overlap(client: LabelStudioClient, task_id: int, *, overlap: int, annotators: int) -> dict:
    """Give the task `overlap` annotators; `annotators` have labeled it (distinct), so it is labeled when enough."""
    return client.request(
        "PATCH",
        f"api/tasks/{task_id}/",
        what=f"set the overlap of task {task_id} to {overlap}",
        body={"overlap": overlap, "is_labeled": annotators >= overlap},
        idempotent=True,
        not_found=f"Task {task_id} no longer exists on Label Studio at {client.url}.",
    )


def project_overlap(client: LabelStudioClient, project_id: int) -> int:
    """The project's "annotations per task" (maximum_annotations) as set on the server now."""
    return int(client.get_project(project_id)["maximum_annotations"])


def set_project_overlap(client: LabelStudioClient, project_id: int, overlap: int) -> None:
    """Set the project's maximum annotations; Label Studio sets every task above 1 to it."""
    client.update_project(project_id, maximum_annotations=overlap)


def task_overlaps(client: LabelStudioClient, project_id: int) -> Iterator[tuple[int, int]]:
    """(task id, overlap) of every task of the project, as the server holds them."""
    for task in client.iter_tasks(project_id, include="id,overlap", fields="task_only", page_size=1000):
        yield task["id"], task["overlap"]
