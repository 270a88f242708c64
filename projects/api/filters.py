"""Query filters for the API's lists (django-filter).

Related objects are filtered by plain id, never by a choice of existing rows: a choice
field answers "not a valid choice" for an id that does not exist and nothing for a rival
vendor's, which tells a vendor which ids are taken, and the browsable API would list
every vendor's rows in its filter form. The queryset is scoped before filtering, so a
rival's id simply matches nothing.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from projects.models import Annotation, Annotator, Batch, DatasetItem, DatasetVersion, Review, Task


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, turned to UTC: Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59."""

    def to_python(self, value):
        instant = super().to_python(value)
        if instant is None:
            return None
        try:
            return instant.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date and time between the years 1 and 9999.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class IdField(forms.IntegerField):
    """A row id: a whole number a database key can hold (SQLite and PostgreSQL keys are 64-bit)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """Filter by a related row's id; an id no key can hold is a 400 naming the filter, not a database error."""

    field_class = IdField


class AnnotatorFilter(django_filters.FilterSet):
    vendor = IdFilter(field_name="vendor")

    class Meta:
        model = Annotator
        fields = ["vendor", "is_active"]


class BatchFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project")
    vendor = IdFilter(field_name="vendor")

    class Meta:
        model = Batch
        fields = ["project", "vendor", "status"]


class TaskFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project")
    batch = IdFilter(field_name="batch")

    class Meta:
        model = Task
        fields = ["project", "batch", "language", "status", "external_id"]


class AnnotationFilter(django_filters.FilterSet):
    task = IdFilter(field_name="task")
    annotator = IdFilter(field_name="annotator")
    batch = IdFilter(field_name="task__batch")
    updated_after = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Annotation
        fields = ["task", "annotator", "is_deleted", "was_cancelled"]


class ReviewFilter(django_filters.FilterSet):
    annotation = IdFilter(field_name="annotation")
    annotator = IdFilter(field_name="annotation__annotator")
    batch = IdFilter(field_name="annotation__task__batch")
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gt")

    class Meta:
        model = Review
        fields = ["annotation", "verdict"]


class DatasetVersionFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id")
    project_slug = django_filters.CharFilter(field_name="project__slug")

    class Meta:
        model = DatasetVersion
        fields = ["project", "project_slug"]


class DatasetItemFilter(django_filters.FilterSet):
    version = IdFilter(field_name="version_id")
    split = django_filters.ChoiceFilter(choices=DatasetItem.Split.choices)
    external_id = django_filters.CharFilter()

    class Meta:
        model = DatasetItem
        fields = ["version", "split", "external_id"]
