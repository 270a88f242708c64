"""Query filters for the API's lists (django-filter)."""

from __future__ import annotations

import django_filters

from projects.models import Annotation, Batch, Task


class BatchFilter(django_filters.FilterSet):
    class Meta:
        model = Batch
        fields = ["project", "vendor", "status"]


class TaskFilter(django_filters.FilterSet):
    class Meta:
        model = Task
        fields = ["project", "batch", "language", "status", "external_id"]


class AnnotationFilter(django_filters.FilterSet):
    batch = django_filters.NumberFilter(field_name="task__batch")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Annotation
        fields = ["task", "annotator", "is_deleted", "was_cancelled"]
