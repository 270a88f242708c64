"""API views: parse, call one service or query, render. Every queryset goes through `visible`."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from projects.access.scoping import viewer_for, visible
from projects.api import serializers
from projects.api.filters import (
    AnnotationFilter,
    AnnotatorFilter,
    BatchFilter,
    DatasetItemFilter,
    DatasetVersionFilter,
    ReviewFilter,
    TaskFilter,
)
from projects.api.permissions import HasRole, RolePermissions, needs
from projects.audit import Actor, attribute_changes_to
from projects.datasets.builds import build_dataset_version
from projects.datasets.exports import CONTENT_TYPES as EXPORT_CONTENT_TYPES
from projects.datasets.exports import FORMATS as EXPORT_FORMATS
from projects.datasets.exports import export_chunks, export_file_name
from projects.datasets.queries import diff_dataset_versions
from projects.ingest.uploads import import_upload
from projects.jobs import push_batch_task, run_now_or_queue, sync_labelstudio_task
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
from projects.quality.review.taxonomy import ensure_default_error_categories
from projects.quality.scorecards import scorecards
from projects.reporting.list_counts import batches_with_counts
from projects.workforce.pauses import reinstate_annotator

CAN_IMPORT = needs("projects.add_task", "Importing tasks needs the project manager role.")
CAN_PUSH = needs("projects.change_batch", "Pushing needs the project manager role.")
CAN_SYNC = needs("projects.change_labelstudioproject", "Triggering a sync needs the project manager role.")
CAN_REINSTATE = needs("projects.change_annotatorpause", "Reinstating an annotator needs the project manager role.")
CAN_BUILD_DATASET = needs("projects.add_datasetversion", "Building a dataset needs the project manager role.")


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose rows are what `visible` lets the user see; a foreign id is a 404."""

    permission_classes = [IsAuthenticated, HasRole, RolePermissions]
    base_queryset = None
    # Named, never derived from the serializer: ordering by a field a role cannot see would
    # rank rows by it, and a derived name that is no database column would be a 500.
    ordering_fields: list[str] = ["id"]

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        attribute_changes_to(request.user)

    def get_queryset(self):
        return visible(self.request.user, self.base_queryset.all())


class VendorViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    base_queryset = Vendor.objects.order_by("name")
    serializer_class = serializers.VendorSerializer
    ordering_fields = ["id", "name", "slug", "daily_capacity"]


class AnnotatorViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    base_queryset = Annotator.objects.select_related("user").order_by("vendor__name", "user__username")
    serializer_class = serializers.AnnotatorSerializer
    filterset_class = AnnotatorFilter
    ordering_fields = ["id", "user__username", "vendor"]

    @extend_schema(responses=serializers.ScorecardOutput)
    @action(detail=True)
    def scorecard(self, request: Request, pk: str) -> Response:
        """Gold accuracy with its Wilson 95% interval, speed against peers, and quality by week."""
        annotator = self.get_object()
        card = scorecards(Annotator.objects.filter(pk=annotator.pk))[0]
        return Response(serializers.ScorecardOutput(card.as_dict()).data)


class LabelingProjectViewSet(
    ScopedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    base_queryset = LabelingProject.objects.order_by("name")
    serializer_class = serializers.LabelingProjectSerializer
    filterset_fields = ["status", "slug"]
    ordering_fields = ["id", "name", "slug", "status", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer) -> None:
        project = serializer.save(created_by=self.request.user)
        ensure_default_error_categories(project=project)

    @extend_schema(
        request={"multipart/form-data": serializers.TaskImportInput},
        responses={
            201: serializers.TaskImportOutput,
            400: OpenApiResponse(serializers.ImportErrorOutput, description="Refused: nothing was written."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        permission_classes=[*ScopedViewSet.permission_classes, CAN_IMPORT],
    )
    def import_file(self, request: Request, pk: str) -> Response:
        """Import a task file, all or nothing: the same service as the command and the admin form."""
        project = self.get_object()
        form = serializers.TaskImportInput(data=request.data)
        form.is_valid(raise_exception=True)
        batch = None
        if form.validated_data.get("batch") is not None:
            batch = Batch.objects.filter(project=project, pk=form.validated_data["batch"]).first()
            if batch is None:
                return Response({"detail": "No such batch in this project.", "errors": []}, status=400)
        result = import_upload(
            project=project,
            upload=form.validated_data["file"],
            batch=batch,
            actor=Actor.person(request.user, via="api"),
        )
        return Response(serializers.TaskImportOutput(result.__dict__).data, status=status.HTTP_201_CREATED)


class BatchViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = serializers.BatchSerializer
    filterset_class = BatchFilter
    ordering_fields = ["id", "name", "due_at", "status", "created_at", "task_count", "annotated_count"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no recount, no database
            return Batch.objects.none()
        return visible(self.request.user, batches_with_counts().order_by("-created_at", "pk"))

    @extend_schema(request=None, responses={200: serializers.PushOutput, 202: serializers.PushOutput})
    @action(detail=True, methods=["post"], permission_classes=[*ScopedViewSet.permission_classes, CAN_PUSH])
    def push(self, request: Request, pk: str) -> Response:
        """Push the batch to its vendor's Label Studio (only what is missing)."""
        run = run_now_or_queue(push_batch_task, self.get_object().pk, requested_by=request.user)
        if run.queued:
            return Response({"pushed": 0, "label_studio_project_id": 0, "queued": True}, status=202)
        return Response({**run.outcome, "queued": False})


class TaskViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    base_queryset = Task.objects.order_by("pk")
    serializer_class = serializers.TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["id", "external_id", "created_at", "status"]


class AnnotationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    base_queryset = Annotation.objects.select_related("task").order_by("pk")
    serializer_class = serializers.AnnotationSerializer
    filterset_class = AnnotationFilter
    ordering_fields = ["id", "created_at", "updated_at", "lead_time"]


class ReviewViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """QA verdicts: vendor managers read their vendor's, annotators their own, with the reviewer's comment."""

    base_queryset = Review.objects.select_related("error_category", "annotation__task", "reviewer").order_by("pk")
    serializer_class = serializers.ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["id", "created_at"]


class AnnotatorPauseViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Annotators paused on a project, why, and their reinstatement; vendor managers read their vendor's."""

    base_queryset = AnnotatorPause.objects.select_related("annotator__user", "project").order_by("-paused_at", "pk")
    serializer_class = serializers.AnnotatorPauseSerializer
    ordering_fields = ["id", "paused_at", "reinstated_at"]

    @extend_schema(request=serializers.ReinstatementInput, responses={200: serializers.AnnotatorPauseSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, HasRole, CAN_REINSTATE])
    def reinstate(self, request: Request, pk: str) -> Response:
        """Give the annotator their Label Studio access back, with a comment."""
        form = serializers.ReinstatementInput(data=request.data)
        form.is_valid(raise_exception=True)
        pause = reinstate_annotator(
            pause=self.get_object(), comment=form.validated_data["comment"], actor=Actor.person(request.user, via="api")
        )
        return Response(serializers.AnnotatorPauseSerializer(pause).data)


@extend_schema(request=serializers.SyncInput, responses={202: None})
@api_view(["POST"])
@permission_classes([IsAuthenticated, HasRole, CAN_SYNC])
def trigger_sync(request: Request) -> Response:
    """Pull from Label Studio now (the same work as the scheduled sync)."""
    form = serializers.SyncInput(data=request.data)
    form.is_valid(raise_exception=True)
    project = form.validated_data.get("project")
    if project:
        get_object_or_404(LabelingProject, slug=project)
    sync_labelstudio_task.delay(project, form.validated_data["full"], requested_by=request.user.pk)
    return Response({"detail": "Sync started."}, status=202)


@extend_schema(responses={200: dict})
@api_view(["GET"])
@permission_classes([IsAuthenticated, HasRole])
def me(request: Request) -> Response:
    """Who the token or session belongs to, their role and (for vendor roles) their vendor."""
    viewer = viewer_for(request.user)
    return Response({"username": request.user.get_username(), "role": viewer.role, "vendor": viewer.vendor_id})


class IsInternal(BasePermission):
    """Gold datasets are internal: project managers and QA reviewers only; vendor roles get 403."""

    message = "Gold datasets are for project managers and QA reviewers."

    def has_permission(self, request, view) -> bool:
        return viewer_for(request.user).is_internal


class DatasetVersionViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Built gold dataset versions: read-only (a version never changes); build, diff and download."""

    permission_classes = [IsAuthenticated, HasRole, IsInternal]
    base_queryset = DatasetVersion.objects.select_related("project", "built_by").order_by("project__slug", "-number")
    serializer_class = serializers.DatasetVersionSerializer
    filterset_class = DatasetVersionFilter
    ordering_fields = ["id", "number", "built_at", "item_count"]

    @extend_schema(
        request=serializers.DatasetBuildInput,
        responses={201: serializers.DatasetVersionSerializer, 409: OpenApiResponse(description="Refused: why.")},
    )
    @action(detail=False, methods=["post"], permission_classes=[*permission_classes, CAN_BUILD_DATASET])
    def build(self, request: Request) -> Response:
        """Build the project's next version from its current labels (project managers only)."""
        form = serializers.DatasetBuildInput(data=request.data)
        form.is_valid(raise_exception=True)
        project = get_object_or_404(
            visible(request.user, LabelingProject.objects.all()), slug=form.validated_data["project"]
        )
        version = build_dataset_version(
            project=project, actor=Actor.person(request.user, via="api"), note=form.validated_data["note"]
        )
        return Response(self.get_serializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("against", int, description="The older version; the parent when absent.")],
        responses=serializers.DatasetDiffOutput,
    )
    @action(detail=True)
    def diff(self, request: Request, pk: str) -> Response:
        """Items added, removed and relabeled since another version (the parent by default)."""
        version = self.get_object()
        against = request.query_params.get("against")
        if against is None:
            older = version.parent
        else:
            older = self.get_queryset().filter(pk=against).first() if against.isdigit() else None
            if older is None:
                return Response({"detail": f"No dataset version {against}."}, status=404)
        if older is None:
            return Response({"detail": "This version has no parent; name one with ?against=."}, status=400)
        changes = diff_dataset_versions(older, version)
        return Response(
            {
                "added": list(changes.added),
                "removed": list(changes.removed),
                "relabeled": [relabel.__dict__ for relabel in changes.relabeled],
                "unchanged": changes.unchanged,
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("file_format", str, enum=list(EXPORT_FORMATS), description="jsonl by default.")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=True)
    def download(self, request: Request, pk: str) -> StreamingHttpResponse | Response:
        """The version as a file, streamed: jsonl (canonical; sha256sum = content hash), csv, parquet, labelstudio."""
        version = self.get_object()
        export_format = request.query_params.get("file_format", "jsonl")
        if export_format not in EXPORT_FORMATS:
            return Response({"detail": f"file_format is one of {', '.join(EXPORT_FORMATS)}."}, status=400)
        response = StreamingHttpResponse(
            export_chunks(version, export_format), content_type=EXPORT_CONTENT_TYPES[export_format]
        )
        response["Content-Disposition"] = f'attachment; filename="{export_file_name(version, export_format)}"'
        return response


class DatasetItemViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Items of built versions: read-only."""

    permission_classes = [IsAuthenticated, HasRole, IsInternal]
    base_queryset = DatasetItem.objects.order_by("version", "external_id")
    serializer_class = serializers.DatasetItemSerializer
    filterset_class = DatasetItemFilter
    ordering_fields = ["id", "external_id", "split", "confidence"]
