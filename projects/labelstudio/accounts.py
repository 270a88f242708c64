"""Annotator accounts on Label Studio servers.

Each annotator gets a user on each server their vendor labels on, created through
the API; pulled annotations are attributed through that user's id (completed_by).
The API sets no password: on a local server `scripts/labelstudio password` sets one,
on a remote one the annotator uses the server's own sign-in or reset flow.
"""

from __future__ import annotations

from collections.abc import Iterable

from projects.labeling.authors import label_studio_email
from projects.labelstudio.client import LabelStudioClient
from projects.models import Annotator, AnnotatorAccount, LabelStudioConnection

__all__ = ["ensure_annotator_accounts", "label_studio_email"]


def ensure_annotator_accounts(
    client: LabelStudioClient, connection: LabelStudioConnection, annotators: Iterable[Annotator]
) -> list[AnnotatorAccount]:
    """Give every annotator a user on the server; idempotent (an existing user with the e-mail is adopted)."""
    annotators = list(annotators)
    known = {
        account.annotator_id: account
        for account in AnnotatorAccount.objects.filter(connection=connection, annotator__in=annotators)
    }
    missing = [annotator for annotator in annotators if annotator.pk not in known]
    if not missing:
        return list(known.values())
    users_by_email = {user["email"].lower(): user for user in client.list_users()}
    for annotator in missing:
        email = label_studio_email(annotator)
        user = users_by_email.get(email)
        if user is None:
            first_name, _, last_name = (annotator.user.get_full_name() or annotator.user.get_username()).partition(" ")
            user = client.create_user(email=email, first_name=first_name, last_name=last_name)
        account, _ = AnnotatorAccount.objects.get_or_create(
            connection=connection,
            annotator=annotator,
            defaults={"label_studio_user_id": user["id"], "email": email},
        )
        known[annotator.pk] = account
    return list(known.values())
