from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from projects.web.webhooks import labelstudio_webhook

urlpatterns = [
    path("", include("projects.web.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("projects.api.urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("webhooks/labelstudio/<int:connection_id>/", labelstudio_webhook, name="labelstudio-webhook"),
]
