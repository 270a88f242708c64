"""Importing a task file into a labeling project, all of it or none.

`import_tasks` reads as its steps: prepare (the file's format, the row validator, the redaction policy), check the
whole file once while spooling its redacted rows (`_FileCheck`), then write the import and its tasks in one
transaction (writer.py).
"""

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
from projects.ingest.past_work import PastWorkReader
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
    # Annotations made before annotate (a Label Studio export's), kept with their own times and authors.
    past_work_count: int = 0


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
    file_format, validator, policy = _prepare(project, file_name, batch)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        checked = _FileCheck(
            project=project, path=path, file_name=file_name, file_format=file_format,
            validator=validator, policy=policy, spool=spool, progress=progress,
        ).run()  # fmt: skip
        redaction_report = _redaction_report(project, policy, checked)
        task_import, past_work_count = _write(
            project=project, batch=batch, user=actor.user, file_name=file_name, file_format=file_format,
            checked=checked, redaction_report=redaction_report, spool=spool, progress=progress,
        )  # fmt: skip
    return ImportResult(
        task_import_id=task_import.pk,
        task_count=checked.task_count,
        gold_count=checked.gold_count,
        encoding=checked.encoding,
        file_format=file_format,
        languages=checked.languages,
        redaction_report=redaction_report,
        past_work_count=past_work_count,
    )


def _prepare(
    project: LabelingProject, file_name: str, batch: Batch | None
) -> tuple[str, RecordValidator, RedactionPolicy]:
    """The file's format, the validator of its rows and the project's redaction policy; refused if any is wrong."""
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
        # Past work is credited to the batch's vendor's annotators (anyone's, for tasks in no batch yet).
        past_work=PastWorkReader(config=config, vendor=batch.vendor if batch else None),
    )
    return file_format, validator, policy


def _redaction_report(project: LabelingProject, policy: RedactionPolicy, checked: _CheckedFile) -> dict:
    return {
        "policy": policy.names,
        "originals_kept": project.keep_originals and not policy.is_off,
        **checked.redaction.as_json(),
    }


def _write(
    *,
    project: LabelingProject,
    batch: Batch | None,
    user,
    file_name: str,
    file_format: str,
    checked: _CheckedFile,
    redaction_report: dict,
    spool: IO[str],
    progress: ProgressCallback | None,
) -> tuple[TaskImport, int]:
    """The import, its spooled tasks and their past work, in one transaction; how many past annotations."""
    try:
        with transaction.atomic():
            task_import = TaskImport.objects.create(
                project=project, file_name=file_name[:255], file_format=file_format,
                encoding=checked.encoding, task_count=checked.task_count, created_by=user,
                redaction_report=redaction_report,
            )  # fmt: skip
            past_work_count = write_spooled_tasks(
                spool=spool, project=project, batch=batch, task_import=task_import,
                chunk_size=settings.IMPORT_CHUNK_SIZE,
                on_chunk=(lambda done: progress("importing", done, checked.task_count)) if progress else None,
            )  # fmt: skip
    except IntegrityError as error:
        # Another import of the same external_ids committed between our check and our write.
        raise ImportRefused(
            [RowError(file_name, None, "external_id", f"already imported into {project.slug} meanwhile: {error}")]
        ) from None
    return task_import, past_work_count


class _FileCheck:
    """Reading and checking a whole file once, spooling the valid rows; `run` raises ImportRefused on any error."""

    def __init__(
        self,
        *,
        project: LabelingProject,
        path: Path,
        file_name: str,
        file_format: str,
        validator: RecordValidator,
        policy: RedactionPolicy,
        spool: IO[str],
        progress: ProgressCallback | None,
    ) -> None:
        self.project, self.path, self.file_name, self.file_format = project, path, file_name, file_format
        self.validator, self.policy, self.spool, self.progress = validator, policy, spool, progress
        self.max_errors = settings.IMPORT_MAX_ERRORS
        self.chunk_size = settings.IMPORT_CHUNK_SIZE
        self.total_bytes = os.path.getsize(path)
        self.errors: list[RowError] = []
        self.external_ids = ExternalIdIndex()
        self.pending: dict[str, int] = {}  # external_id → line, not yet looked up in the project
        self.checked = _CheckedFile()

    def run(self) -> _CheckedFile:
        with self.path.open("rb") as stream:
            decoder = LineDecoder(stream, self.file_name)
            try:
                self._read(decoder)
            except UnreadableFile as unreadable:
                self._add(unreadable.error)
            if self.progress:
                self.progress("validating", decoder.bytes_read, self.total_bytes)
            self.checked.encoding = decoder.encoding or "utf-8"
        suspected = self.external_ids.lines_sharing_a_hash()
        if suspected:
            for error in _repeated_external_ids(self.path, self.file_name, self.file_format, self.validator, suspected):
                self._add(error)
        if not self.errors and self.checked.task_count == 0:
            empty = "the file holds no tasks" if self.total_bytes else "the file is empty"
            self._add(RowError(self.file_name, 1, None, empty))
        if self.errors:
            raise ImportRefused(self.errors)
        return self.checked

    def _add(self, error: RowError) -> None:
        self.errors.append(error)
        if len(self.errors) > self.max_errors:
            raise ImportRefused(self.errors[: self.max_errors], more=True)

    def _read(self, decoder: LineDecoder) -> None:
        for item in read_records(decoder, self.file_format):
            if isinstance(item, RowError):
                self._add(item)
                continue
            outcome = self.validator.validate(item)
            if isinstance(outcome, list):
                for error in outcome:
                    self._add(error)
                continue
            self._accept(outcome)
            if len(self.pending) >= self.chunk_size:
                self._check_pending_against_project()
                if self.progress:
                    self.progress("validating", decoder.bytes_read, self.total_bytes)
        if self.pending:
            self._check_pending_against_project()

    def _accept(self, row: TaskRow) -> None:
        """Count a valid row and, while the file has no error, spool it (redacted)."""
        checked = self.checked
        self.external_ids.add(row.external_id, row.line)
        checked.task_count += 1
        checked.gold_count += row.is_gold
        checked.languages[row.language] = checked.languages.get(row.language, 0) + 1
        if not self.errors:
            if not self.policy.is_off:
                row = _redacted(row, self.policy, checked.redaction, keep_originals=self.project.keep_originals)
            spool_row(self.spool, row)
        self.pending[row.external_id] = row.line

    def _check_pending_against_project(self) -> None:
        existing = Task.objects.filter(project=self.project, external_id__in=list(self.pending))
        for external_id in existing.values_list("external_id", flat=True):
            self._add(
                RowError(
                    self.file_name,
                    self.pending[external_id],
                    "external_id",
                    f"{external_id!r} is already in project {self.project.slug}",
                )
            )
        self.pending.clear()


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
