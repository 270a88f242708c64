"""Past work in a Label Studio export: its annotations (other than ground truth) checked and kept as history.

Each annotation keeps its own created_at, updated_at, lead_time and author. The author (`completed_by`) is mapped
to an annotate annotator (projects/labeling/authors.py): by e-mail when the export carries user details
(`{"id": 7, "email": ...}`) or an e-mail, else by the Label Studio user id of an annotator account on the vendor's
servers. An annotation that cannot be checked or credited refuses the file.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from projects.labeling.authors import AuthorMap
from projects.labeling.label_config import LabelConfig, result_errors
from projects.models import AnnotatorAccount, Vendor

ErrorSink = Callable[[str | None, str], None]


class PastWorkReader:
    """Reads one task's past annotations for one label config and one vendor's annotators (or everyone's)."""

    def __init__(self, *, config: LabelConfig, vendor: Vendor | None) -> None:
        self.config = config
        self.vendor = vendor
        self._authors: AuthorMap | None = None
        self._accounts: dict[int, set[int]] | None = None

    @property
    def authors(self) -> AuthorMap:
        if self._authors is None:  # read once, and only for a file that holds past work
            self._authors = AuthorMap(self.vendor)
        return self._authors

    @property
    def accounts(self) -> dict[int, set[int]]:
        """Label Studio user id → the annotators with an account of that id (on any of the vendor's servers)."""
        if self._accounts is None:
            found = AnnotatorAccount.objects.filter(annotator__in=list(self.authors.annotators))
            by_user: dict[int, set[int]] = defaultdict(set)
            for user_id, annotator_id in found.values_list("label_studio_user_id", "annotator_id"):
                by_user[user_id].add(annotator_id)
            self._accounts = dict(by_user)
        return self._accounts

    def read(self, annotations: object, *, task: str, error: ErrorSink) -> list[dict]:
        """The task's annotations other than ground truth, as stored rows; each problem reported to `error`."""
        if annotations is None or annotations == []:
            return []
        if not isinstance(annotations, list):
            error("annotations", f"task {task}: expected a list of annotations")
            return []
        rows = []
        for index, annotation in enumerate(annotations):
            if isinstance(annotation, dict) and annotation.get("ground_truth"):
                continue  # a reference label: the task's gold answer
            row = self._row(annotation, field=f"annotations[{index}]", task=task, error=error)
            if row is not None:
                rows.append(row)
        return rows

    def _row(self, annotation: object, *, field: str, task: str, error: ErrorSink) -> dict | None:
        if not isinstance(annotation, dict):
            error(field, f"task {task}: expected an annotation object")
            return None
        found: list[str] = []

        def problem(name: str, message: str) -> None:
            found.append(name)
            error(f"{field}.{name}", f"task {task}: {message}")

        was_cancelled = bool(annotation.get("was_cancelled"))
        result = annotation.get("result") if annotation.get("result") is not None else []
        for message in [] if was_cancelled and result == [] else result_errors(self.config, result):
            problem("result", message)
        created_at = _moment(annotation.get("created_at"))
        if created_at is None:
            problem("created_at", "past work needs the time it was made, e.g. 2026-11-02T09:30:00Z")
        updated_at = _moment(annotation.get("updated_at")) if annotation.get("updated_at") else created_at
        if updated_at is None and annotation.get("updated_at"):
            problem("updated_at", f"{annotation.get('updated_at')!r} is not a time like 2026-11-02T09:30:00Z")
        lead_time = annotation.get("lead_time")
        if lead_time is not None and (isinstance(lead_time, bool) or not isinstance(lead_time, (int, float))):
            problem("lead_time", f"expected seconds as a number, got {lead_time!r}")
        elif lead_time is not None and lead_time < 0:
            problem("lead_time", f"{lead_time} seconds: a lead time cannot be negative")
        author = self._author(annotation.get("completed_by"), problem)
        if found:
            return None
        return {
            "annotator_id": author[0],
            "label_studio_user_id": author[1],
            "result": result,
            "was_cancelled": was_cancelled,
            "lead_time": float(lead_time) if lead_time is not None else None,
            "created_at": created_at.isoformat(),
            "updated_at": updated_at.isoformat(),
        }

    def _author(self, completed_by: object, problem: Callable[[str, str], None]) -> tuple[int | None, int | None]:
        """(annotator id, Label Studio user id) of who made the annotation; a problem when no one can be credited."""
        user_id = completed_by.get("id") if isinstance(completed_by, dict) else completed_by
        if isinstance(completed_by, str):
            email, user_id = completed_by, None
        else:
            email = completed_by.get("email") if isinstance(completed_by, dict) else None
        if not isinstance(user_id, int) or isinstance(user_id, bool):
            user_id = None
        if email:
            annotator = self.authors.annotator_for(email)
            if annotator is not None:
                return annotator.pk, user_id
            problem("completed_by", f"{_who(user_id, email)} cannot be mapped: {self.authors.why_unmapped(email)}")
            return None, None
        if user_id is None:
            problem("completed_by", "missing: past work needs its annotator (a Label Studio user id or e-mail)")
            return None, None
        candidates = self.accounts.get(user_id, set())
        if len(candidates) == 1:
            return next(iter(candidates)), user_id
        whose = f"of vendor {self.vendor}" if self.vendor is not None else "in annotate"
        why = "several annotators have it on different servers" if candidates else f"no annotator {whose} has it"
        problem(
            "completed_by",
            f"{_who(user_id, None)} cannot be mapped ({why}): export the project with user details "
            "(completed_by with e-mail) or give the annotator's e-mail",
        )
        return None, None


def _who(user_id: int | None, email: str | None) -> str:
    if email and user_id is not None:
        return f"Label Studio user {user_id} ({email})"
    return f"Label Studio user {email}" if email else f"Label Studio user {user_id}"


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment
