"""What the API shows of each object; vendor-side users never see gold answers or unredacted data."""

from __future__ import annotations

from rest_framework import serializers

from projects.access.scoping import can_see_gold, can_see_originals, viewer_for
from projects.models import (
    Annotation,
    Annotator,
    AnnotatorPause,
    Batch,
    DatasetItem,
    DatasetVersion,
    LabelingProject,
    Review,
    Task,
    Vendor,
)


class VendorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "name", "slug", "languages", "daily_capacity", "is_active"]


class AnnotatorSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = Annotator
        fields = ["id", "username", "name", "vendor", "languages", "skills", "is_active"]


class LabelingProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabelingProject
        fields = [
            "id",
            "slug",
            "name",
            "status",
            "languages",
            "overlap",
            "gold_rate",
            "qa_sample_rate",
            "label_config",
            "guidelines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_label_config(self, value: str) -> str:
        from projects.labeling.label_config import LabelConfigError, parse_label_config

        try:
            parse_label_config(value)
        except LabelConfigError as error:
            raise serializers.ValidationError(str(error)) from error
        return value


class BatchSerializer(serializers.ModelSerializer):
    task_count = serializers.IntegerField(read_only=True)
    annotated_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "uid",
            "project",
            "name",
            "vendor",
            "target_count",
            "due_at",
            "status",
            "task_count",
            "annotated_count",
            "created_at",
        ]
        read_only_fields = ["uid", "status", "created_at"]


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "batch",
            "external_id",
            "data",
            "language",
            "status",
            "is_gold",
            "gold_answer",
            "original_data",
            "created_at",
        ]
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = request.user if request else None
        if user is None or not can_see_gold(user):
            fields.pop("is_gold")
            fields.pop("gold_answer")
        if user is None or not can_see_originals(user):
            fields.pop("original_data")
        return fields


class ReviewSerializer(serializers.ModelSerializer):
    """A QA verdict; the reviewer is named to project managers and QA only, never to vendors."""

    error_category = serializers.CharField(source="error_category.name", read_only=True, allow_null=True)
    task = serializers.IntegerField(source="annotation.task_id", read_only=True)
    external_id = serializers.CharField(source="annotation.task.external_id", read_only=True)
    reviewer = serializers.CharField(source="reviewer.get_username", read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "annotation",
            "task",
            "external_id",
            "verdict",
            "error_category",
            "severity",
            "comment",
            "corrected_result",
            "reviewer",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, review: Review) -> dict:
        data = super().to_representation(review)
        request = self.context.get("request")
        if request is None or not viewer_for(request.user).is_internal:
            data["reviewer"] = None
        return data


class AnnotationSerializer(serializers.ModelSerializer):
    batch = serializers.IntegerField(source="task.batch_id", read_only=True)

    class Meta:
        model = Annotation
        fields = [
            "id",
            "task",
            "batch",
            "annotator",
            "result",
            "was_cancelled",
            "lead_time",
            "version",
            "is_deleted",
            "label_studio_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class TaskImportInput(serializers.Serializer):
    file = serializers.FileField(help_text="CSV, JSONL or Label Studio JSON; UTF-8, UTF-8 with BOM or GB18030.")
    batch = serializers.IntegerField(required=False, help_text="Batch of this project the tasks go into.")


class TaskImportOutput(serializers.Serializer):
    task_import_id = serializers.IntegerField()
    task_count = serializers.IntegerField()
    gold_count = serializers.IntegerField()
    encoding = serializers.CharField()
    file_format = serializers.CharField()
    languages = serializers.DictField(child=serializers.IntegerField())


class ImportErrorOutput(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())


class SyncInput(serializers.Serializer):
    project = serializers.SlugField(required=False, help_text="Slug of one project; all when absent.")
    full = serializers.BooleanField(default=False)


class PushOutput(serializers.Serializer):
    pushed = serializers.IntegerField()
    label_studio_project_id = serializers.IntegerField()
    queued = serializers.BooleanField()


class ScorecardOutput(serializers.Serializer):
    annotator = serializers.IntegerField()
    username = serializers.CharField()
    vendor = serializers.CharField()
    annotations = serializers.IntegerField()
    gold_seen = serializers.IntegerField()
    gold_correct = serializers.IntegerField()
    gold_accuracy = serializers.FloatField(allow_null=True)
    gold_accuracy_low = serializers.FloatField(allow_null=True)
    gold_accuracy_high = serializers.FloatField(allow_null=True)
    median_lead_time = serializers.FloatField(allow_null=True)
    peer_median_lead_time = serializers.FloatField(allow_null=True)
    qa_acceptance = serializers.FloatField(allow_null=True)
    qa_reviewed = serializers.IntegerField()
    weeks = serializers.ListField(child=serializers.DictField())


class DatasetVersionSerializer(serializers.ModelSerializer):
    project_slug = serializers.CharField(source="project.slug", read_only=True)
    built_by = serializers.CharField(source="built_by.username", read_only=True, default=None)

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "project",
            "project_slug",
            "number",
            "parent",
            "content_hash",
            "item_count",
            "settings",
            "excluded",
            "statistics",
            "built_by",
            "built_at",
            "note",
        ]
        read_only_fields = fields


class DatasetItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = DatasetItem
        fields = [
            "id",
            "version",
            "task",
            "external_id",
            "language",
            "data",
            "label",
            "split",
            "method",
            "confidence",
            "provenance",
        ]
        read_only_fields = fields


class DatasetBuildInput(serializers.Serializer):
    project = serializers.SlugField(help_text="Slug of the project to build the next version of.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DatasetDiffOutput(serializers.Serializer):
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    relabeled = serializers.ListField(child=serializers.DictField())
    unchanged = serializers.IntegerField()


class AnnotatorPauseSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="annotator.user.username", read_only=True)
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AnnotatorPause
        fields = [
            "id",
            "annotator",
            "username",
            "project",
            "rule",
            "reason",
            "figures",
            "paused_at",
            "paused_by",
            "labels_since",
            "labels_sent_to_qa",
            "reinstated_at",
            "reinstatement_comment",
        ]
        read_only_fields = fields


class ReinstatementInput(serializers.Serializer):
    comment = serializers.CharField(help_text="Why the annotator may label again; the vendor manager reads it.")
