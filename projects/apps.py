from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Labeling operations"
    default_auto_field = "django.db.models.BigAutoField"
