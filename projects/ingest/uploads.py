"""Importing a task file that arrives as an upload (the admin's form, the API's multipart POST)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from projects.audit import Actor
from projects.ingest.services import ImportResult, import_tasks
from projects.models import Batch, LabelingProject


def import_upload(*, project: LabelingProject, upload: UploadedFile, batch: Batch | None, actor: Actor) -> ImportResult:
    """Spool `upload` to a private temporary file, import it all or nothing, and delete the copy.

    The import reads the file twice (check, then write), which an upload stream cannot be;
    the copy is gone when this returns, refused or not. Raises ImportRefused as import_tasks does.
    """
    with tempfile.TemporaryDirectory() as folder:
        spooled = Path(folder) / "upload"
        with spooled.open("wb") as destination:
            for piece in upload.chunks():
                destination.write(piece)
        return import_tasks(project=project, path=spooled, file_name=upload.name, batch=batch, actor=actor)
