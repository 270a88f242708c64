"""Importing a task file into a labeling project."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction

from projects.audit import Actor, records_actor
from projects.ingest.errors import ImportRefused, RowError
from projects.ingest.external_ids import ExternalIdIndex
from projects.ingest.readers import LineDecoder, UnreadableFile, detect_format, read_records
from projects.ingest.redaction import RedactionConfigError, RedactionPolicy, RedactionReport, parse_policy, redact_data
from projects.ingest.validation import Limits, RecordValidator, TaskRow
from projects.ingest.writer import spool_row, write_spooled_tasks
from projects.labeling.label_config import LabelConfigError, cached_label_config
from projects.models import Batch, LabelingProject, Task, TaskImport

# Called with (phase, done, total); phase "validating" counts bytes, "importing" counts tasks.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportResult:
    task_import_id: int
    task_count: int
    gold_count: int
    encoding: str
    file_format: str
    languages: dict[str, int]
    # Counts only, as stored on TaskImport.redaction_report.
    redaction_report: dict


@dataclass
class _CheckedFile:
    encoding: str = "utf-8"
    task_count: int = 0
    gold_count: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    redaction: RedactionReport = field(default_factory=RedactionReport)


@records_actor
def import_tasks(
    *,
    project: LabelingProject,
    path: str | Path,
    file_name: str | None = None,
    batch: Batch | None = None,
    actor: Actor,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import every task of a CSV, JSONL or Label Studio JSON file, or none.

    The whole file is read and checked first (structure, encoding, required data
    keys, external_id unique in the file and the project, field sizes, gold answers
    and predictions against the label config); only a clean file is written, in
    one transaction. Task data is redacted per the project's policy on the way
    (the original kept only when the project opts in); gold answers and predictions
    are left as they are. Raises ImportRefused listing file, line and field.
    """
    path = Path(path)
    file_name = file_name or path.name
    try:
        config = cached_label_config(project.label_config)
        file_format = detect_format(file_name)
    except LabelConfigError as error:
        raise ImportRefused([RowError(file_name, None, "label_config", str(error))]) from None
    except UnreadableFile as error:
        raise ImportRefused([error.error]) from None
    try:
        policy = parse_policy(project.redaction)
    except RedactionConfigError as error:
        message = f"the redaction config of project {project.slug} is wrong: {error}"
        raise ImportRefused([RowError(file_name, None, "redaction", message)]) from None
    validator = RecordValidator(
        config=config,
        file_name=file_name,
        file_format=file_format,
        limits=Limits(
            max_field_chars=settings.IMPORT_MAX_FIELD_CHARS,
            max_external_id_chars=settings.IMPORT_MAX_EXTERNAL_ID_CHARS,
        ),
    )

    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        checked = _check_file(
            project=project, path=path, file_name=file_name, file_format=file_format,
            validator=validator, policy=policy, spool=spool, progress=progress,
        )  # fmt: skip
        redaction_report = {
            "policy": policy.names,
            "originals_kept": project.keep_originals and not policy.is_off,
            **checked.redaction.as_json(),
        }
        try:
            with transaction.atomic():
                task_import = TaskImport.objects.create(
                    project=project, file_name=file_name[:255], file_format=file_format,
                    encoding=checked.encoding, task_count=checked.task_count, created_by=actor.user,
                    redaction_report=redaction_report,
                )  # fmt: skip
                write_spooled_tasks(
                    spool=spool, project=project, batch=batch, task_import=task_import,
                    chunk_size=settings.IMPORT_CHUNK_SIZE,
                    on_chunk=(lambda done: progress("importing", done, checked.task_count)) if progress else None,
                )  # fmt: skip
        except IntegrityError as error:
            # Another import of the same external_ids committed between our check and our write.
            raise ImportRefused(
                [RowError(file_name, None, "external_id", f"already imported into {project.slug} meanwhile: {error}")]
            ) from None
    return ImportResult(
        task_import_id=task_import.pk,
        task_count=checked.task_count,
        gold_count=checked.gold_count,
        encoding=checked.encoding,
        file_format=file_format,
        languages=checked.languages,
        redaction_report=redaction_report,
    )


def _check_file(
    *,
    project: LabelingProject,
    path: Path,
    file_name: str,
    file_format: str,
    validator: RecordValidator,
    policy: RedactionPolicy,
    spool: IO[str],
    progress: ProgressCallback | None,
) -> _CheckedFile:
    """Read and check the whole file, spooling the valid rows; raise ImportRefused on any error."""
    max_errors = settings.IMPORT_MAX_ERRORS
    chunk_size = settings.IMPORT_CHUNK_SIZE
    total_bytes = os.path.getsize(path)
    errors: list[RowError] = []
    external_ids = ExternalIdIndex()
    pending: dict[str, int] = {}
    checked = _CheckedFile()
    keep_originals = project.keep_originals

    def add(error: RowError) -> None:
        errors.append(error)
        if len(errors) > max_errors:
            raise ImportRefused(errors[:max_errors], more=True)

    def check_pending_against_project() -> None:
        existing = Task.objects.filter(project=project, external_id__in=list(pending))
        for external_id in existing.values_list("external_id", flat=True):
            add(
                RowError(
                    file_name,
                    pending[external_id],
                    "external_id",
                    f"{external_id!r} is already in project {project.slug}",
                )
            )
        pending.clear()

    with path.open("rb") as stream:
        decoder = LineDecoder(stream, file_name)
        try:
            for item in read_records(decoder, file_format):
                if isinstance(item, RowError):
                    add(item)
                    continue
                outcome = validator.validate(item)
                if isinstance(outcome, list):
                    for error in outcome:
                        add(error)
                    continue
                external_ids.add(outcome.external_id, outcome.line)
                checked.task_count += 1
                checked.gold_count += outcome.is_gold
                checked.languages[outcome.language] = checked.languages.get(outcome.language, 0) + 1
                if not errors:
                    if not policy.is_off:
                        outcome = _redacted(outcome, policy, checked.redaction, keep_originals=keep_originals)
                    spool_row(spool, outcome)
                pending[outcome.external_id] = outcome.line
                if len(pending) >= chunk_size:
                    check_pending_against_project()
                    if progress:
                        progress("validating", decoder.bytes_read, total_bytes)
            if pending:
                check_pending_against_project()
        except UnreadableFile as unreadable:
            add(unreadable.error)
        if progress:
            progress("validating", decoder.bytes_read, total_bytes)
        checked.encoding = decoder.encoding or "utf-8"
    suspected = external_ids.lines_sharing_a_hash()
    if suspected:
        for error in _repeated_external_ids(path, file_name, file_format, validator, suspected):
            add(error)

    if not errors and checked.task_count == 0:
        add(RowError(file_name, 1, None, "the file holds no tasks" if total_bytes else "the file is empty"))
    if errors:
        raise ImportRefused(errors)
    return checked


def _repeated_external_ids(
    path: Path, file_name: str, file_format: str, validator: RecordValidator, lines: set[int]
) -> Iterator[RowError]:
    """Read the file again for the few lines whose external_id hash repeats, and name the real repeats."""
    first_line_of: dict[str, int] = {}
    with path.open("rb") as stream:
        for item in read_records(LineDecoder(stream, file_name), file_format):
            if isinstance(item, RowError) or item.line not in lines:
                continue
            outcome = validator.validate(item)
            if isinstance(outcome, list):
                continue
            first_line = first_line_of.setdefault(outcome.external_id, outcome.line)
            if first_line != outcome.line:
                message = f"{outcome.external_id!r} appears twice (first on line {first_line})"
                yield RowError(file_name, outcome.line, "external_id", message)


def _redacted(row: TaskRow, policy: RedactionPolicy, report: RedactionReport, *, keep_originals: bool) -> TaskRow:
    redacted = redact_data(row.data, policy)
    if not redacted.changed:
        return row
    report.add(redacted)
    return replace(row, data=redacted.data, original_data=row.data if keep_originals else None)
