from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from projects.web import language, review, views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("batches/<int:batch_id>/", views.batch_detail, name="portal-batch"),
    path("annotators/<int:annotator_id>/", views.annotator_scorecard, name="portal-annotator"),
    path("pauses/<int:pause_id>/reinstate/", views.reinstate, name="portal-reinstate"),
    path("review/", review.home, name="review-home"),
    path("review/batches/<int:batch_id>/", review.queue, name="review-queue"),
    path("review/batches/<int:batch_id>/adjudicate/", review.adjudication, name="review-adjudicate"),
    path("review/batches/<int:batch_id>/decide/", review.decide, name="review-decide"),
    path("accounts/login/", language.SignIn.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", language.choose_language, name="set-language"),
]
