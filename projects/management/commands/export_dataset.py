from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import CommandError
from tqdm import tqdm

from projects.datasets.exports import FORMATS, export_chunks
from projects.management.base import AnnotateCommand
from projects.models import DatasetVersion


class Command(AnnotateCommand):
    help = "Write a dataset version to a file, streamed: jsonl (canonical), csv, parquet or labelstudio."

    def add_arguments(self, parser) -> None:
        parser.add_argument("version_id", type=int)
        parser.add_argument("--format", dest="export_format", choices=FORMATS, default="jsonl")
        parser.add_argument("--output", required=True, help="File to write (replaced once complete).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, version_id: int, export_format: str, output: str, no_progress: bool, **options) -> None:
        version = DatasetVersion.objects.select_related("project").filter(pk=version_id).first()
        if version is None:
            raise CommandError(f"No dataset version with id {version_id}.")
        target = Path(output)
        partial = target.with_name(f".{target.name}.partial")
        bar = tqdm(desc="writing", unit="B", unit_scale=True, disable=no_progress)
        written = 0
        try:
            with partial.open("wb") as file:
                for chunk in export_chunks(version, export_format):
                    file.write(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            bar.close()
        os.replace(partial, target)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {version} ({version.item_count} items) as {export_format} to {target}: {written} bytes"
            )
        )
