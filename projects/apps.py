from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Labeling operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from projects.access.roles import ensure_roles
        from projects.audit import register_audited_models
        from projects.labeling import signals

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="projects-ensure-roles")
        register_audited_models()
        signals.connect()
