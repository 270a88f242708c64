"""Taking an annotator's access to a Label Studio server away, and giving it back.

What Label Studio 1.23.2 Community offers (tested against the real server, tests/labelstudio/test_memberships.py):
- `PATCH /api/users/{id}/ {"is_active": false}` answers 200 and changes nothing: the user serializer has no
  is_active field, and the user goes on fetching and submitting tasks.
- An admin cannot rotate another user's token: `POST /api/current-user/reset-token/` resets the caller's own.
- `DELETE /api/organizations/{org}/memberships/{user}/` soft-deletes the membership (204). From then on the
  user's token and browser session get 403 on the project, its next task and new annotations (the project page's
  shell still loads, empty), the user's task locks are deleted (their unfinished tasks go back to the queue), and
  the user can still sign in. The old token is not needed to be rotated: it opens nothing while revoked.
- No API restores a soft-deleted membership (the detail endpoint allows GET and DELETE only; a new user with the
  same e-mail is refused). Label Studio's own Django admin can: its superuser clears the membership's
  "deleted at" (`/admin/organizations/organizationmember/{pk}/change/`), after signing in through Label Studio's
  login page (a session opened at /admin/login/ is closed at once by its session-age middleware). The same
  token and session work again. annotate does that with LABEL_STUDIO_ADMIN_EMAIL / LABEL_STUDIO_ADMIN_PASSWORD;
  without a password the reinstatement names the page for a person to do it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from django.conf import settings

from projects.labelstudio.client import LabelStudioClient, LabelStudioError, LabelStudioNotFound
from projects.models import AnnotatorAccount


@dataclass(frozen=True)
class AccessChange:
    connection: str
    label_studio_user_id: int
    done: bool
    detail: str

    def as_record(self) -> dict:
        return {
            "connection": self.connection,
            "label_studio_user_id": self.label_studio_user_id,
            "done": self.done,
            "detail": self.detail,
        }


def revoke_access(account: AnnotatorAccount) -> AccessChange:
    """Soft-delete the account's membership of the server's organization; idempotent (already revoked is done)."""
    connection = account.connection
    client = LabelStudioClient.for_connection(connection)
    organization = client.organization()["id"]
    user = account.label_studio_user_id
    try:
        client.request(
            "DELETE",
            f"api/organizations/{organization}/memberships/{user}/",
            what=f"remove user {user} from organization {organization}",
            not_found="already removed",
        )
    except LabelStudioNotFound:
        return AccessChange(connection.name, user, True, "membership already removed")
    return AccessChange(connection.name, user, True, "membership removed; task locks released")


def restore_access(account: AnnotatorAccount) -> AccessChange:
    """Clear the membership's "deleted at" through Label Studio's Django admin, as its superuser; idempotent."""
    connection = account.connection
    user = account.label_studio_user_id
    admin_page = f"{connection.url.rstrip('/')}/admin/organizations/organizationmember/?q={account.email}"
    password = settings.LABEL_STUDIO_ADMIN_PASSWORD
    if not password:
        return AccessChange(
            connection.name, user, False, f"no LABEL_STUDIO_ADMIN_PASSWORD: clear 'deleted at' at {admin_page}"
        )
    try:
        with httpx.Client(base_url=connection.url.rstrip("/"), timeout=settings.LABEL_STUDIO_TIMEOUT) as browser:
            _sign_in(browser, settings.LABEL_STUDIO_ADMIN_EMAIL, password)
            member, organization = _membership(browser, account)
            page = f"/admin/organizations/organizationmember/{member}/change/"
            browser.get(page)
            answer = browser.post(
                page,
                data={
                    "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
                    "user": str(user),
                    "organization": organization,
                    "deleted_at_0": "",
                    "deleted_at_1": "",
                    "_save": "Save",
                },
                headers={"Referer": f"{browser.base_url}{page}"},
            )
    except httpx.HTTPError as error:
        raise LabelStudioError(
            f"Label Studio at {connection.url} could not be reached to restore {user}: {error}"
        ) from None
    if answer.status_code != 302:
        raise LabelStudioError(
            f"Label Studio at {connection.url} refused to restore the membership of user {user} "
            f"(HTTP {answer.status_code}); clear 'deleted at' at {admin_page}"
        )
    return AccessChange(connection.name, user, True, "membership restored")


def _sign_in(browser: httpx.Client, email: str, password: str) -> None:
    browser.get("/user/login/")
    answer = browser.post(
        "/user/login/",
        data={"email": email, "password": password, "csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
        headers={"Referer": f"{browser.base_url}/user/login/"},
    )
    if answer.status_code != 302:
        raise LabelStudioError(f"Label Studio at {browser.base_url} did not accept the admin's e-mail and password.")


def _membership(browser: httpx.Client, account: AnnotatorAccount) -> tuple[str, str]:
    """The membership row's id and its organization's, read from the admin's change list and form."""
    listing = browser.get("/admin/organizations/organizationmember/", params={"q": account.email})
    if listing.status_code != 200:
        raise LabelStudioError(f"Label Studio's admin answered HTTP {listing.status_code}: is the admin a superuser?")
    for member in dict.fromkeys(re.findall(r"/admin/organizations/organizationmember/(\d+)/change/", listing.text)):
        form = browser.get(f"/admin/organizations/organizationmember/{member}/change/").text
        chosen = dict(
            re.findall(r'<select name="(user|organization)"[^>]*>.*?<option value="(\d+)" selected', form, re.S)
        )
        if chosen.get("user") == str(account.label_studio_user_id) and "organization" in chosen:
            return member, chosen["organization"]
    raise LabelStudioError(f"Label Studio has no membership of user {account.label_studio_user_id} to restore.")
