"""The one door to a Label Studio server: label-studio-sdk with annotate's timeouts, retries and errors.

The SDK brings authentication (legacy token or personal access token, refreshed
as needed) and the HTTP transport. Its own retries are switched off: it retries
POSTs on 5xx, which can duplicate an import. Here only reads and other idempotent
calls are retried, with exponential backoff; writes are made idempotent by their
callers. Every failure becomes a LabelStudioError with a message a person can act on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import IO, Any

import httpx
from django.conf import settings

from projects.errors import OutsideFailure
from projects.models import LabelStudioConnection

logger = logging.getLogger(__name__)


class LabelStudioError(OutsideFailure):
    """A Label Studio call failed; the message says which server and why."""


class LabelStudioUnavailable(LabelStudioError):
    """The server could not be reached or kept failing (connection refused, timeouts, 5xx)."""


class LabelStudioAuthError(LabelStudioError):
    """The server rejected the token."""


class LabelStudioNotFound(LabelStudioError):
    """The object asked for no longer exists on the server."""


class LabelStudioRejected(LabelStudioError):
    """The server refused the request as invalid (4xx other than auth and not found)."""


TRANSIENT_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
TIMEOUT_ERRORS = (httpx.TimeoutException,)
DOWNLOAD_CHUNK = 1 << 20  # bytes read from the socket and written to the file at a time


class LabelStudioClient:
    def __init__(
        self,
        *,
        url: str,
        token: str,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout if timeout is not None else settings.LABEL_STUDIO_TIMEOUT
        self.retries = retries if retries is not None else settings.LABEL_STUDIO_RETRIES
        self.backoff = backoff if backoff is not None else settings.LABEL_STUDIO_BACKOFF
        # The SDK imports pandas and nltk at module level; only a live client needs it.
        from label_studio_sdk import LabelStudio

        self.sdk = LabelStudio(base_url=self.url, api_key=token, timeout=self.timeout, max_retries=0)

    @classmethod
    def for_connection(cls, connection: LabelStudioConnection) -> LabelStudioClient:
        token = connection.get_token()
        if not token:
            source = f"${connection.token_env_var}" if connection.token_env_var else "the stored token"
            raise LabelStudioAuthError(f"No API token for Label Studio at {connection.url}: {source} is empty.")
        return cls(url=connection.url, token=token)

    # -- the transport ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
        not_found: str | None = None,
    ) -> Any:
        """Call the API and return the decoded JSON (None for an empty body).

        `what` names the call in errors ("create the project"); `not_found` is the
        message for a 404 ("project 12 no longer exists").
        """
        if idempotent is None:
            idempotent = method in {"GET", "PUT", "DELETE", "HEAD"}
        attempts = 1 + (self.retries if idempotent else 0)
        http = self.sdk._client_wrapper.httpx_client
        # Encoded here rather than by the SDK, whose generic encoder walks every value in
        # Python: for a push that is a tenth of the time spent outside Label Studio.
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = None if body is None else {"Content-Type": "application/json"}
        for attempt in range(1, attempts + 1):
            try:
                response = http.request(
                    path,
                    method=method,
                    params=params,
                    content=content,
                    headers=headers,
                    request_options={"max_retries": 0, "timeout_in_seconds": timeout or self.timeout},
                )
            except TRANSIENT_ERRORS + TIMEOUT_ERRORS as error:
                if attempt < attempts and (idempotent or isinstance(error, httpx.ConnectError)):
                    self._wait(attempt, what, error)
                    continue
                raise self._unreachable(what, error) from None
            if response.status_code >= 500 and attempt < attempts:
                self._wait(attempt, what, f"HTTP {response.status_code}")
                continue
            return self._decode(response, what=what, not_found=not_found)
        raise AssertionError("unreachable")  # the loop returns or raises

    def download(
        self, path: str, *, into: IO[bytes], what: str, params: dict | None = None, not_found: str | None = None
    ) -> int:
        """Stream a GET's body into a file a chunk at a time (retried from the start); the bytes written."""
        http = self.sdk._client_wrapper.httpx_client
        options = {"max_retries": 0, "timeout_in_seconds": settings.LABEL_STUDIO_EXPORT_TIMEOUT}
        for attempt in range(1, self.retries + 2):
            into.seek(0)
            into.truncate()
            try:
                with http.stream(path, method="GET", params=params, request_options=options) as response:
                    if response.status_code >= 500 and attempt <= self.retries:
                        self._wait(attempt, what, f"HTTP {response.status_code}")
                        continue
                    if response.status_code >= 400:
                        response.read()
                        self._decode(response, what=what, not_found=not_found)
                    for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                        into.write(chunk)
                    into.flush()
                    return into.tell()
            except TRANSIENT_ERRORS + TIMEOUT_ERRORS as error:
                if attempt <= self.retries:
                    self._wait(attempt, what, error)
                    continue
                raise self._unreachable(what, error) from None
        raise AssertionError("unreachable")  # the loop returns or raises

    def _unreachable(self, what: str, error: Exception) -> LabelStudioUnavailable:
        kind = "timed out" if isinstance(error, TIMEOUT_ERRORS) else "is not reachable"
        return LabelStudioUnavailable(
            f"Label Studio at {self.url} {kind} while trying to {what}: {error.__class__.__name__}: {error}"
        )

    def _wait(self, attempt: int, what: str, reason: object) -> None:
        delay = self.backoff * (2 ** (attempt - 1))
        logger.warning("Label Studio at %s: %s failed (%s); retrying in %.1f s", self.url, what, reason, delay)
        time.sleep(delay)

    def _decode(self, response: httpx.Response, *, what: str, not_found: str | None) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise LabelStudioAuthError(
                f"Label Studio at {self.url} rejected the token (HTTP {status}) while trying to {what}: "
                f"{_detail(response)}"
            )
        if status == 404:
            raise LabelStudioNotFound(not_found or f"Label Studio at {self.url} has no such object ({what}).")
        if status >= 500:
            raise LabelStudioUnavailable(
                f"Label Studio at {self.url} failed with HTTP {status} while trying to {what}: {_detail(response)}"
            )
        if status >= 400:
            raise LabelStudioRejected(
                f"Label Studio at {self.url} refused to {what} (HTTP {status}): {_detail(response)}"
            )
        if not response.content:
            return None
        return response.json()

    # -- server ------------------------------------------------------------------------------------

    def version(self) -> dict:
        return self.request("GET", "api/version", what="read its version")

    def whoami(self) -> dict:
        return self.request("GET", "api/current-user/whoami", what="check the token")

    def organization(self) -> dict:
        """The token's organization: {"id", "title", "created_at"}, and never its invite token.

        Read from the list, which carries no invite secret (the detail view does), with the
        detail, stripped, as a fallback.
        """
        organization_id = self.whoami().get("active_organization")
        listed = self.request("GET", "api/organizations/", what="read its organization")
        if isinstance(listed, dict):  # a paginated answer
            listed = listed.get("results", [])
        found = next((item for item in listed or [] if item.get("id") == organization_id), None)
        if found is None:
            found = self.request(
                "GET", f"api/organizations/{organization_id}", what=f"read organization {organization_id}"
            )
        return {key: found.get(key) for key in ("id", "title", "created_at")}

    # -- projects ----------------------------------------------------------------------------------

    def create_project(
        self, *, title: str, description: str, label_config: str, instructions: str, overlap: int
    ) -> dict:
        return self.request(
            "POST",
            "api/projects/",
            what=f"create the project {title!r}",
            body={
                "title": title,
                "description": description,
                "label_config": label_config,
                "expert_instruction": instructions,
                "show_instruction": bool(instructions),
                "maximum_annotations": overlap,
                "show_skip_button": True,
                "show_overlap_first": True,
                "overlap_cohort_percentage": 100,
            },
        )

    def get_project(self, project_id: int) -> dict:
        return self.request(
            "GET",
            f"api/projects/{project_id}/",
            what=f"read project {project_id}",
            not_found=f"Project {project_id} no longer exists on Label Studio at {self.url}.",
        )

    def update_project(self, project_id: int, **fields: Any) -> dict:
        return self.request(
            "PATCH",
            f"api/projects/{project_id}/",
            what=f"update project {project_id}",
            body=fields,
            idempotent=True,
            not_found=f"Project {project_id} no longer exists on Label Studio at {self.url}.",
        )

    def find_projects(self, title: str) -> list[dict]:
        """Projects with exactly this title (Label Studio's filter is a substring search)."""
        found = []
        page = 1
        while True:
            answer = self.request(
                "GET", "api/projects/", what="list projects",
                params={"title": title, "page": page, "page_size": 100, "include": "id,title,description"},
            )  # fmt: skip
            found += [project for project in answer.get("results", []) if project.get("title") == title]
            if not answer.get("next"):
                return found
            page += 1

    def import_tasks(self, project_id: int, tasks: list[dict]) -> list[int]:
        """Import tasks in one request and return their new ids, in order. Never retried here."""
        answer = self.request(
            "POST",
            f"api/projects/{project_id}/import",
            what=f"import {len(tasks)} tasks into project {project_id}",
            params={"return_task_ids": "true", "commit_to_project": "true"},
            body=tasks,
            idempotent=False,
            timeout=settings.LABEL_STUDIO_IMPORT_TIMEOUT,
            not_found=f"Project {project_id} no longer exists on Label Studio at {self.url}.",
        )
        task_ids = answer.get("task_ids")
        if task_ids is None or len(task_ids) != len(tasks):
            raise LabelStudioRejected(
                f"Label Studio at {self.url} imported {answer.get('task_count')} of {len(tasks)} tasks into "
                f"project {project_id} without returning their ids."
            )
        return task_ids

    # -- tasks and annotations ---------------------------------------------------------------------

    def iter_tasks(
        self,
        project_id: int,
        *,
        filters: list[dict] | None = None,
        include: str | None = None,
        fields: str = "all",
        page_size: int = 500,
    ) -> Iterator[dict]:
        """Tasks of a project in id order, a page at a time, optionally filtered.

        Each page asks for the tasks past the last id read, not for page N: a task that changes
        while the list is read neither shifts the pages after it (and so makes one skip a task)
        nor comes twice, and a deep page costs what the first does. With fields="all", each task
        carries its annotations, skipped ones too. `include` narrows the fields of the task and
        of its annotations alike: name the annotation fields wanted as well ("id,annotations,
        result,..."), or they come back as id and updated_at only; it must name id.
        """
        last_id = 0
        while True:
            after = {"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": last_id}
            query = {"filters": {"conjunction": "and", "items": [*(filters or []), after]}, "ordering": ["tasks:id"]}
            answer = self.request(
                "GET",
                "api/tasks/",
                what=f"list tasks of project {project_id}",
                params={
                    "project": project_id,
                    "page": 1,
                    "page_size": page_size,
                    "fields": fields,
                    **({"include": include} if include else {}),
                    "query": json.dumps(query),
                },
                not_found=f"Project {project_id} no longer exists on Label Studio at {self.url}.",
            )
            tasks = answer.get("tasks", [])
            yield from tasks
            if len(tasks) < page_size:
                return
            last_id = tasks[-1]["id"]

    def create_annotation(self, task_id: int, *, result: list, completed_by: int, lead_time: float,
                          was_cancelled: bool = False) -> dict:  # fmt: skip
        return self.request(
            "POST",
            f"api/tasks/{task_id}/annotations/",
            what=f"annotate task {task_id}",
            body={
                "result": result,
                "completed_by": completed_by,
                "lead_time": lead_time,
                "was_cancelled": was_cancelled,
            },
            idempotent=False,
        )

    # -- users -------------------------------------------------------------------------------------

    def list_users(self) -> list[dict]:
        return self.request("GET", "api/users/", what="list users")

    def create_user(self, *, email: str, first_name: str, last_name: str) -> dict:
        body = {"email": email, "username": email, "first_name": first_name, "last_name": last_name}
        return self.request("POST", "api/users/", what=f"create the user {email}", body=body, idempotent=False)

    # -- webhooks ----------------------------------------------------------------------------------

    def create_webhook(self, *, project_id: int, url: str, headers: dict[str, str], actions: list[str]) -> dict:
        return self.request(
            "POST",
            "api/webhooks/",
            what=f"register a webhook for project {project_id}",
            body={
                "project": project_id,
                "url": url,
                "send_payload": True,
                "send_for_all_actions": False,
                "headers": headers,
                "is_active": True,
                "actions": actions,
            },
            idempotent=False,
        )

    def list_webhooks(self, project_id: int) -> list[dict]:
        return self.request("GET", "api/webhooks/", what="list webhooks", params={"project": project_id})


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        for key in ("detail", "validation_errors", "error"):
            if key in body:
                return json.dumps(body[key], ensure_ascii=False)[:500]
    return json.dumps(body, ensure_ascii=False)[:500]
