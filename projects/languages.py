"""Which language a person reads annotate in: the choice they made on the portal's switcher, else the default."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_supported_language_variant

from projects.models import LanguagePreference


def offered_language(code: str) -> str | None:
    """The language annotate offers (settings.LANGUAGES) for a code such as "zh-Hans" or "en-GB"; None if none."""
    try:
        return get_supported_language_variant(code) if code else None
    except LookupError:
        return None


def remembered_language(user) -> str | None:
    """The language the person chose on the switcher, None if they never chose."""
    chosen = LanguagePreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return get_supported_language_variant(chosen) if chosen else None


def language_for(user) -> str:
    """The language code to write to this person in (e-mails): their choice, else the site's default."""
    return remembered_language(user) or get_supported_language_variant(settings.LANGUAGE_CODE)


def remember_language(user, language: str) -> None:
    """Keep the person's choice for their next sign-in and for the e-mails sent to them (idempotent)."""
    LanguagePreference.objects.update_or_create(user=user, defaults={"language": language})
