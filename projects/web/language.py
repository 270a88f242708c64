"""The language switcher and sign-in: a choice is kept in Django's language cookie and on the person's account.

The cookie serves every page, signed in or not (the login page has the switcher too); the account keeps it
for a sign-in from another browser and for the e-mails annotate sends the person.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from projects.languages import offered_language, remember_language, remembered_language


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie, then back to ?next), and the choice remembered for a signed-in person."""
    response = set_language(request)
    language = offered_language(request.POST.get("language", ""))
    if request.user.is_authenticated and language is not None:
        remember_language(request.user, language)
    return response


class SignIn(auth_views.LoginView):
    """The login page. A language chosen on it before signing in is kept on the account; otherwise the account's
    remembered language becomes this browser's."""

    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        remembered = remembered_language(user)
        chosen = offered_language(self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""))
        if remembered is None and chosen is not None:
            remember_language(user, chosen)
        elif remembered is not None and remembered != chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                remembered,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response
