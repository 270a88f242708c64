from __future__ import annotations

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import APIRootView, DefaultRouter

from projects.api import views
from projects.api.permissions import HasRole


class ApiRootView(APIRootView):
    permission_classes = [IsAuthenticated, HasRole]


router = DefaultRouter()
router.APIRootView = ApiRootView
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("annotators", views.AnnotatorViewSet, basename="annotator")
router.register("projects", views.LabelingProjectViewSet, basename="project")
router.register("batches", views.BatchViewSet, basename="batch")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("annotations", views.AnnotationViewSet, basename="annotation")
router.register("reviews", views.ReviewViewSet, basename="review")
router.register("pauses", views.AnnotatorPauseViewSet, basename="pause")
router.register("dataset-versions", views.DatasetVersionViewSet, basename="dataset-version")
router.register("dataset-items", views.DatasetItemViewSet, basename="dataset-item")

urlpatterns = [
    path("", include(router.urls)),
    path("me/", views.me, name="me"),
    path("sync/", views.trigger_sync, name="sync"),
]
