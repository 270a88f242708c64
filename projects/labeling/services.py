"""Writes on labeling projects: config versions."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import Max

from projects.models import LabelingProject, ProjectConfigVersion


def config_hash(label_config: str, guidelines: str) -> str:
    return hashlib.sha256(f"{label_config.strip()}\x00{guidelines.strip()}".encode()).hexdigest()


def current_config_version(project: LabelingProject) -> ProjectConfigVersion:
    """The version matching the project's label config and guidelines now; created on first need.

    Idempotent and safe on two workers at once: the (project, content_hash) constraint decides.
    """
    content_hash = config_hash(project.label_config, project.guidelines)
    existing = ProjectConfigVersion.objects.filter(project=project, content_hash=content_hash).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            latest = ProjectConfigVersion.objects.filter(project=project).aggregate(number=Max("number"))["number"]
            return ProjectConfigVersion.objects.create(
                project=project,
                number=(latest or 0) + 1,
                label_config=project.label_config,
                guidelines=project.guidelines,
                content_hash=content_hash,
            )
    except IntegrityError:
        return ProjectConfigVersion.objects.get(project=project, content_hash=content_hash)
