"""The error taxonomy a project starts with, so a reviewer can reject from the first day."""

from __future__ import annotations

from django.db import transaction

from projects.models import ErrorCategory, LabelingProject

# (name, what counts as it): broad enough for any label config; a project manager renames, adds or retires them.
DEFAULT_ERROR_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("Wrong label", "The label is not the one the guidelines give for this item."),
    ("Missed or partial", "Part of the answer is missing: a span, a choice or a field left out, or a span cut short."),
    ("Guideline violation", "The answer breaks a rule of the guidelines (scope, format, a required field)."),
    ("Ambiguous or unclear", "The item or the guidelines leave the answer open: worth a guideline update."),
    ("Other", "Anything else; the comment says what."),
)


def ensure_default_error_categories(*, project: LabelingProject) -> list[ErrorCategory]:
    """Give a project that has no error categories the default taxonomy; idempotent: one with any keeps its own."""
    with transaction.atomic():
        if ErrorCategory.objects.filter(project=project).exists():
            return []
        categories = [
            ErrorCategory(project=project, name=name, description=description)
            for name, description in DEFAULT_ERROR_CATEGORIES
        ]
        for category in categories:
            category.full_clean()
            category.save()
    return categories
