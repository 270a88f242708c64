from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from projects.web.webhooks import labelstudio_webhook

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("webhooks/labelstudio/<int:connection_id>/", labelstudio_webhook, name="labelstudio-webhook"),
]
