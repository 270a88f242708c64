"""Who sees what: every role × every API endpoint and portal page × own, team mate's and rival's objects.

Vendors compete; one vendor seeing another's tasks, labels or scores is the worst bug this
product can have. So each case asserts the status the role should get and that no string
planted in the rival vendor's objects (nor gold answers, nor unredacted data, nor an
annotator's team mate's labels, where the role may not see them) appears in the response.

The matrix is checked against the URL resolver: adding an endpoint without an entry in
this matrix fails test_every_endpoint_has_an_entry_in_the_matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLResolver, get_resolver, resolve, reverse

from tests.access.world import (
    ANNOTATOR_ROLE,
    ANONYMOUS,
    FOREIGN,
    GOLD,
    INTERNAL_ROLES,
    NO_ROLE,
    ORIGINAL,
    PEER,
    PROJECT_MANAGER_ROLE,
    QA_REVIEWER_ROLE,
    ROLES,
    VENDOR_MANAGER_ROLE,
    VENDOR_ROLES,
    World,
)
from tests.factories import TRIAGE_CONFIG

Expectation = Callable[[str, str | None], set[int]]

# What each role must never find in a body, whatever the endpoint.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    PROJECT_MANAGER_ROLE: (),
    QA_REVIEWER_ROLE: (ORIGINAL,),
    VENDOR_MANAGER_ROLE: (FOREIGN, GOLD, ORIGINAL),
    ANNOTATOR_ROLE: (FOREIGN, PEER, GOLD, ORIGINAL),
    NO_ROLE: (FOREIGN, PEER, GOLD, ORIGINAL),
    ANONYMOUS: (FOREIGN, PEER, GOLD, ORIGINAL),
}


# -- expectations -----------------------------------------------------------------------------------


def api_read(*readers: str) -> Expectation:
    """A scoped API read: readers get their own rows; a vendor-side user gets 404 for anyone else's."""

    def expect(role: str, whose: str | None) -> set[int]:
        if role == ANONYMOUS:
            return {401}
        if role not in readers:
            return {403}
        if role in INTERNAL_ROLES or whose in (None, "own"):
            return {200}
        if whose == "peer" and role == VENDOR_MANAGER_ROLE:
            return {200}
        return {404}

    return expect


def internal_read(status: int) -> Expectation:
    """An internal-only read that answers `status` to project managers and QA reviewers."""

    def expect(role: str, whose: str | None) -> set[int]:
        if role == ANONYMOUS:
            return {401}
        return {status} if role in INTERNAL_ROLES else {403}

    return expect


def project_manager_only(status: int) -> Expectation:
    def expect(role: str, whose: str | None) -> set[int]:
        if role == ANONYMOUS:
            return {401}
        return {status} if role == PROJECT_MANAGER_ROLE else {403}

    return expect


def any_role(status: int) -> Expectation:
    def expect(role: str, whose: str | None) -> set[int]:
        return {401} if role == ANONYMOUS else {403} if role == NO_ROLE else {status}

    return expect


def everyone(status: int) -> Expectation:
    return lambda role, whose: {status}


def portal_page(role: str, whose: str | None) -> set[int]:
    if role == ANONYMOUS:
        return {302}
    if role == NO_ROLE:
        return {403}
    if role in INTERNAL_ROLES or whose == "own":
        return {200}
    if whose == "peer" and role == VENDOR_MANAGER_ROLE:
        return {200}
    return {404}


def portal_page_post(role: str, whose: str | None) -> set[int]:
    """A portal form: like a portal page, answered with a redirect back to the portal."""
    return {302 if status == 200 else status for status in portal_page(role, whose)}


def portal_home(role: str, whose: str | None) -> set[int]:
    # Internal roles work in the admin; the portal sends them there.
    return {302} if role in (ANONYMOUS, *INTERNAL_ROLES) else {403} if role == NO_ROLE else {200}


def review_page(status: int) -> Expectation:
    """QA review pages: project managers and QA reviewers only; vendor roles and the role-less get 403."""

    def expect(role: str, whose: str | None) -> set[int]:
        if role == ANONYMOUS:
            return {302}
        return {status} if role in INTERNAL_ROLES else {403}

    return expect


def login_page(role: str, whose: str | None) -> set[int]:
    return {200} if role == ANONYMOUS else {302}


# -- the matrix -------------------------------------------------------------------------------------

READS_VENDORS = (*INTERNAL_ROLES, VENDOR_MANAGER_ROLE)
READS_WORK = (*INTERNAL_ROLES, *VENDOR_ROLES)
OWN_AND_FOREIGN = ("own", "foreign")
WITH_PEER = ("own", "peer", "foreign")
OWN = ("own",)


@dataclass(frozen=True)
class Endpoint:
    route: str
    expect: Expectation
    method: str = "get"
    kind: str | None = None  # kind of object named in the URL (World.ids); None: no object
    whose: tuple[str, ...] = OWN_AND_FOREIGN
    kwarg: str = "pk"
    data: dict | None = None
    body: str = "json"  # json or form (multipart)
    api: bool = True  # token auth, and a browsable-API variant for reads
    shows: str | None = None  # what a vendor-side user must see on their own object (the case is not vacuous)

    def url(self, world: World, whose: str | None) -> str:
        if self.kind is None:
            return reverse(self.route)
        return reverse(self.route, kwargs={self.kwarg: world.ids[(self.kind, whose)]})


NEW_PROJECT = {"slug": "new-project", "name": "New project", "label_config": TRIAGE_CONFIG}

MATRIX: list[Endpoint] = [
    Endpoint("api:api-root", any_role(200)),
    Endpoint("api:me", any_role(200), shows="own-"),
    Endpoint("api:sync", project_manager_only(202), method="post", data={}),
    Endpoint("api:vendor-list", api_read(*READS_VENDORS), shows="Acme Labeling"),
    Endpoint("api:vendor-detail", api_read(*READS_VENDORS), kind="vendor", shows="Acme Labeling"),
    Endpoint("api:annotator-list", api_read(*READS_VENDORS), shows="own-annotator"),
    Endpoint(
        "api:annotator-detail", api_read(*READS_VENDORS), kind="annotator", whose=WITH_PEER, shows="own-annotator"
    ),
    Endpoint(
        "api:annotator-scorecard", api_read(*READS_VENDORS), kind="annotator", whose=WITH_PEER, shows="own-annotator"
    ),
    Endpoint("api:project-list", api_read(*READS_WORK), shows="Shared triage"),
    Endpoint("api:project-list", project_manager_only(201), method="post", data=NEW_PROJECT),
    Endpoint("api:project-detail", api_read(*READS_WORK), kind="project", shows="Shared triage"),
    Endpoint("api:project-detail", project_manager_only(200), method="patch", kind="project", data={"name": "Renamed"}),
    # No file: refused before anything is read. The import itself is tested in tests/ingest.
    Endpoint("api:project-import-file", project_manager_only(400), method="post", kind="project", body="form"),
    Endpoint("api:batch-list", api_read(*READS_WORK), shows="own-batch"),
    Endpoint("api:batch-detail", api_read(*READS_WORK), kind="batch", shows="own-batch"),
    # The world's connections are inactive: the push is refused before any server is dialled.
    Endpoint("api:batch-push", project_manager_only(409), method="post", kind="batch"),
    Endpoint("api:task-list", api_read(*INTERNAL_ROLES)),
    Endpoint("api:task-detail", api_read(*INTERNAL_ROLES), kind="task"),
    Endpoint("api:annotation-list", api_read(*READS_WORK), shows="own-label"),
    Endpoint("api:annotation-detail", api_read(*READS_WORK), kind="annotation", whose=WITH_PEER, shows="own-label"),
    Endpoint("api:review-list", api_read(*READS_WORK), shows="own-review-comment"),
    Endpoint("api:review-detail", api_read(*READS_WORK), kind="review", whose=WITH_PEER, shows="own-review-comment"),
    Endpoint("api:pause-list", api_read(*READS_VENDORS), shows="own-pause-reason"),
    Endpoint("api:pause-detail", api_read(*READS_VENDORS), kind="pause", whose=WITH_PEER, shows="own-pause-reason"),
    Endpoint("api:pause-reinstate", project_manager_only(200), method="post", kind="pause", data={"comment": "Back."}),
    # Gold datasets are internal: no vendor rule, so vendor roles get 403 and would see no rows anyway.
    Endpoint("api:dataset-version-list", api_read(*INTERNAL_ROLES)),
    Endpoint("api:dataset-version-detail", api_read(*INTERNAL_ROLES), kind="dataset_version", whose=OWN),
    Endpoint("api:dataset-version-download", api_read(*INTERNAL_ROLES), kind="dataset_version", whose=OWN),
    # The world's version has no parent: the diff asks for one (400) once the role may read it.
    Endpoint("api:dataset-version-diff", internal_read(400), kind="dataset_version", whose=OWN),
    # The world's project has no label that qualifies: the build is refused with why (409).
    Endpoint("api:dataset-version-build", project_manager_only(409), method="post", data={"project": "shared-triage"}),
    Endpoint("api:dataset-item-list", api_read(*INTERNAL_ROLES)),
    Endpoint("api:dataset-item-detail", api_read(*INTERNAL_ROLES), kind="dataset_item", whose=OWN),
    Endpoint("api-schema", everyone(200), api=False),
    Endpoint("api-docs", everyone(200), api=False),
    Endpoint("portal-home", portal_home, api=False, shows="own-batch"),
    Endpoint("portal-batch", portal_page, kind="batch", kwarg="batch_id", api=False, shows="own-batch"),
    Endpoint(
        "portal-annotator",
        portal_page,
        kind="annotator",
        kwarg="annotator_id",
        whose=WITH_PEER,
        api=False,
        shows="Own Annotator",
    ),
    # The world's project lets no vendor manager reinstate: theirs is refused (redirect), a rival's is a 404.
    Endpoint(
        "portal-reinstate",
        portal_page_post,
        method="post",
        kind="pause",
        kwarg="pause_id",
        whose=WITH_PEER,
        data={"comment": "Back."},
        body="form",
        api=False,
    ),
    Endpoint("review-home", review_page(200), api=False),
    Endpoint("review-queue", review_page(200), kind="batch", kwarg="batch_id", api=False),
    # A verdict names its sample item; none named answers 404 (verdicts are tested in tests/web).
    Endpoint(
        "review-queue",
        review_page(404),
        method="post",
        kind="batch",
        kwarg="batch_id",
        data={"verdict": "accept"},
        body="form",
        api=False,
    ),
    Endpoint("review-adjudicate", review_page(200), kind="batch", kwarg="batch_id", api=False),
    Endpoint(
        "review-adjudicate",
        review_page(404),
        method="post",
        kind="batch",
        kwarg="batch_id",
        data={"label": "refund"},
        body="form",
        api=False,
    ),
    # The samples are not reviewed: the decision is refused and the queue page says why.
    Endpoint("review-decide", review_page(302), method="post", kind="batch", kwarg="batch_id", body="form", api=False),
    Endpoint("login", login_page, api=False),
    Endpoint("login", login_page, method="post", data={"username": "own-annotator", "password": "wrong"}, api=False),
    Endpoint("login", login_page, method="put", api=False),
    Endpoint("logout", everyone(302), method="post", api=False),
    # The language switcher: anyone may choose, signed in or not; it answers with the page to go back to.
    Endpoint(
        "set-language",
        everyone(302),
        method="post",
        data={"language": "zh-hans", "next": "/accounts/login/"},
        body="form",
        api=False,
    ),
    Endpoint("set-language", everyone(405), api=False),
    # Label Studio's calls: no secret, inactive connections; refused for everyone.
    Endpoint(
        "labelstudio-webhook",
        everyone(403),
        method="post",
        kind="connection",
        kwarg="connection_id",
        data={"action": "ANNOTATION_CREATED"},
        api=False,
    ),
]


def _cases():
    for endpoint in MATRIX:
        representations = ["json", "html"] if endpoint.api and endpoint.method == "get" else ["plain"]
        for whose in endpoint.whose if endpoint.kind else [None]:
            for representation in representations:
                for role in ROLES:
                    case_id = "-".join(
                        part for part in (endpoint.route, endpoint.method, whose, representation, role) if part
                    )
                    yield pytest.param(endpoint, whose, representation, role, id=case_id)


def _request(client, world: World, endpoint: Endpoint, whose: str | None, representation: str, role: str):
    headers = {}
    user = world.users[role]
    if user is not None:
        if endpoint.api:
            headers["HTTP_AUTHORIZATION"] = f"Token {world.tokens[role]}"
        else:
            client.force_login(user)
    if representation == "html":
        headers["HTTP_ACCEPT"] = "text/html"
    url = endpoint.url(world, whose)
    send = getattr(client, endpoint.method)
    if endpoint.method == "get":
        return send(url, **headers)
    if endpoint.body == "form":
        return send(url, endpoint.data or {}, **headers)
    return send(url, json.dumps(endpoint.data or {}), content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "whose", "representation", "role"), list(_cases()))
def test_access(world, client, endpoint: Endpoint, whose, representation, role):
    response = _request(client, world, endpoint, whose, representation, role)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = (content.decode(errors="replace") + response.headers.get("Location", "")).lower()
    expected = endpoint.expect(role, whose)
    assert response.status_code in expected, f"{response.status_code} not in {expected}: {body[:400]}"
    for word in FORBIDDEN[role]:
        assert word not in body, f"{word!r} leaked to {role}: …{body[max(body.find(word) - 200, 0) :][:400]}…"
    if role == ANONYMOUS and response.status_code == 302:
        assert "login" in response.headers["Location"]
    if endpoint.shows and role in VENDOR_ROLES and response.status_code == 200 and whose in (None, "own"):
        assert endpoint.shows.lower() in body, f"{role} does not see their own {endpoint.shows!r}"


# -- the matrix covers every endpoint ---------------------------------------------------------------

ANY_METHOD = "*"


def _methods_of(callback) -> set[str]:
    """The HTTP methods a view answers (besides OPTIONS and HEAD); ANY_METHOD when it does not say."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return {ANY_METHOD}
    # A viewset route answers its router-mapped actions (DRF adds HEAD to them on first use).
    answered = getattr(callback, "actions", None) or [m for m in view_class.http_method_names if hasattr(view_class, m)]
    return {m for m in answered if m in view_class.http_method_names and m not in ("options", "head")}


def enumerate_routes() -> dict[str, set[str]]:
    """Every named route outside the admin, with the methods its view answers."""
    found: dict[str, set[str]] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # the admin's own permissions; staff project managers only
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, inner)
                continue
            name = namespace + (pattern.name or f"<unnamed route {route}>")
            found.setdefault(name, set()).update(_methods_of(pattern.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


def test_every_endpoint_has_an_entry_in_the_matrix():
    """Adding an endpoint without an entry in this matrix fails the test."""
    routes = enumerate_routes()
    covered = {(endpoint.route, endpoint.method) for endpoint in MATRIX}
    covered_names = {route for route, _ in covered}
    missing = sorted(
        f"{name} {method.upper()}"
        for name, methods in routes.items()
        for method in methods
        if ((name not in covered_names) if method == ANY_METHOD else ((name, method) not in covered))
    )
    assert not missing, f"endpoints with no entry in the access matrix: {missing}"
    stale = sorted(f"{route} {method.upper()}" for route, method in covered if route not in routes)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_route_enumeration_sees_the_api_and_the_portal():
    routes = enumerate_routes()
    assert routes["api:batch-list"] == {"get"}
    assert routes["api:project-detail"] == {"get", "patch"}
    assert routes["api:batch-push"] == {"post"}
    assert "portal-batch" in routes
    assert not any(name.startswith("admin:") for name in routes)


# -- beyond the matrix: OPTIONS, and filters as an oracle -------------------------------------------


def _api_targets():
    seen = set()
    for endpoint in MATRIX:
        if not endpoint.api or (endpoint.route, endpoint.kind) in seen:
            continue
        seen.add((endpoint.route, endpoint.kind))
        for whose in endpoint.whose if endpoint.kind else [None]:
            for role in ROLES:
                yield pytest.param(endpoint, whose, role, id="-".join(p for p in (endpoint.route, whose, role) if p))


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "whose", "role"), list(_api_targets()))
def test_options_describes_nothing_foreign(world, client, endpoint: Endpoint, whose, role):
    headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[role]}"} if world.users[role] else {}
    response = client.options(endpoint.url(world, whose), **headers)
    assert response.status_code < 500
    body = response.content.decode().lower()
    for word in FORBIDDEN[role]:
        assert word not in body, f"{word!r} leaked to {role} in OPTIONS"


ID_FILTERS = [
    ("api:batch-list", "vendor", "vendor"),
    ("api:batch-list", "project", "project"),
    ("api:annotator-list", "vendor", "vendor"),
    ("api:annotation-list", "task", "task"),
    ("api:annotation-list", "annotator", "annotator"),
    ("api:annotation-list", "batch", "batch"),
    ("api:project-list", "slug", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", VENDOR_ROLES)
@pytest.mark.parametrize(("route", "parameter", "kind"), ID_FILTERS)
def test_a_rival_id_in_a_filter_answers_like_an_id_that_does_not_exist(world, client, route, parameter, kind, role):
    """A filter must not tell a vendor which ids (or slugs) its rival's rows have."""
    headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[role]}"}
    rival_value = world.ids[(kind, "foreign")] if kind else f"{FOREIGN}-project"
    missing_value = 987_654_321 if kind else "no-such-project"

    rival = client.get(reverse(route), {parameter: rival_value}, **headers)
    missing = client.get(reverse(route), {parameter: missing_value}, **headers)

    assert (rival.status_code, rival.content) == (missing.status_code, missing.content)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "parameter", "kind"), [row for row in ID_FILTERS if row[2]])
@pytest.mark.parametrize("value", ["99999999999999999999", "0", "1.5"])
def test_an_id_no_key_can_hold_is_a_400_naming_the_filter(world, client, route, parameter, kind, value):
    headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[PROJECT_MANAGER_ROLE]}"}

    response = client.get(reverse(route), {parameter: value}, **headers)

    assert response.status_code == 400
    assert parameter in response.json()


def _orderings():
    for name, _ in sorted(enumerate_routes().items()):
        if not name.startswith("api:") or not name.endswith("-list"):
            continue
        view_class = resolve(reverse(name)).func.cls
        fields = view_class.serializer_class().fields
        for field_name, field in fields.items():
            for ordering in {field_name, field.source.replace(".", "__")} - {"*"}:
                yield pytest.param(name, ordering, id=f"{name}-{ordering}")


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "ordering"), list(_orderings()))
def test_ordering_by_any_field_a_list_shows_is_never_a_server_error(world, client, route, ordering):
    headers = {"HTTP_AUTHORIZATION": f"Token {world.tokens[PROJECT_MANAGER_ROLE]}"}
    for direction in ("", "-"):
        response = client.get(reverse(route), {"ordering": direction + ordering}, **headers)
        assert response.status_code == 200
