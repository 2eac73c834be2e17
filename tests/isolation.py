"""The tenant-isolation walker (R1.1, R1.2, R1.4).

It discovers every API operation (from the OpenAPI document) and every page (from the URL resolver),
and for every role calls each one with another tenant's ids, in the path and inside request bodies.
Expected: 404 (405 for a page that does not take that method), a database that has not changed, and one
security-log row per refusal (R1.5).
Routes without ids are read as each role and must not show another tenant's data.

A route is covered when every id it takes has an entry in ID_KINDS; a route that is neither covered
nor on PUBLIC_ROUTES makes the walk fail, so each route added later is covered without anyone
remembering. Apps add their id kinds, world objects and markers here.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import ApiToken, SecurityLog, User
from partnerdesk.accounts.services import create_api_token

ALL_ROLES = [
    Role.VENDOR_ADMIN,
    Role.SALES,
    Role.BILLING,
    Role.L2_AGENT,
    Role.L3_ENGINEER,
    Role.PARTNER_ADMIN,
    Role.L1_AGENT,
]

# Routes that need no tenant check, each with its reason.
PUBLIC_ROUTES: dict[str, str] = {
    "/api/v1/health": "liveness probe, no data",
    "/healthz": "liveness probe, no data (tests/ops/test_health.py)",
    "/readyz": "readiness probe: check names and ok/reasons only, 503 while unready (tests/ops/test_health.py)",
    "/metrics": "Prometheus scrape behind its own bearer token, 404 without one (tests/ops/test_metrics.py)",
    "/api/v1/openapi.json": "the published API document",
    "/api/v1/docs": "the API document's viewer",
    "/login/": "the login form",
    "/password/forgot/": "asks for a set-password link; answers the same whether the address has an account",
    "/password/set/{uidb64}/{token}/": "the link of an invitation or reset mail: the token is the access",
    "/logout/": "ends the caller's own session",
    "/i18n/setlang/": "sets the caller's own language",
}
# Whole URL prefixes left out of the walk, each with its reason.
# Body fields named like ids that are not ids of rows.
NOT_ID_FIELDS = {"vat_id"}

EXCLUDED_PREFIXES: dict[str, str] = {
    "/admin/": "Django admin: only superusers (is_staff), which no role is; the walker's users get a redirect",
    "/static/": "static files",
}


@dataclass
class IdKind:
    """How to find, for an asker, an id it may use (own) and one it must not see (foreign).

    `foreign` returns None when the asker may legitimately see every object of that kind.
    """

    own: Callable[[Any, User], Any]
    foreign: Callable[[Any, User], Any]


def _other_token(world: Any, user: User) -> int:
    other = world.outsider[Role.L1_AGENT] if user.is_vendor else world.users[Role.L2_AGENT]
    token = ApiToken.objects.filter(user=other).first() or create_api_token(acting_user=other, name="other")[0]
    return token.pk


def _own_token(world: Any, user: User) -> int:
    token = ApiToken.objects.filter(user=user).first() or create_api_token(acting_user=user, name="own")[0]
    return token.pk


def _foreign_user(world: Any, user: User) -> int | None:
    if user.is_partner:
        return world.outsider[Role.L1_AGENT].pk
    if user.role == Role.VENDOR_ADMIN:
        return None
    return world.users[Role.L1_AGENT].pk


ID_KINDS: dict[str, IdKind] = {
    "partner_id": IdKind(
        own=lambda w, u: u.partner_id or w.partner_a.pk,
        foreign=lambda w, u: w.partner_b.pk if u.is_partner else None,
    ),
    "end_customer_id": IdKind(
        own=lambda w, u: w.customer_a.pk,
        foreign=lambda w, u: w.customer_b.pk if u.is_partner else None,
    ),
    "user_id": IdKind(own=lambda w, u: u.pk, foreign=_foreign_user),
    "token_id": IdKind(own=_own_token, foreign=_other_token),
}

# Functions that add an app's objects for partner A and partner B to the world before the walk.
WORLD_EXTENSIONS: list[Callable[[Any], None]] = []


def _partner_markers(world: Any, user: User) -> list[str]:
    if user.is_partner:
        return [
            world.partner_b.name,
            world.customer_b.name,
            world.contact_b.email,
            world.outsider[Role.L1_AGENT].email,
        ]
    # The vendor never sees contact persons (R9.1) nor unrevealed end-customer names (R1.3).
    return [world.contact_a.name, world.contact_a.email, world.contact_b.email, world.customer_a.name]


# Text that must not appear in anything a role reads on a route without ids.
MARKERS: list[Callable[[Any, User], list[str]]] = [_partner_markers]

# Tables whose rows a refused request may legitimately add (the refusal's own log, sessions, keys).
VOLATILE_MODELS = {
    "accounts.SecurityLog",
    "accounts.UserSession",
    "api.IdempotencyRecord",
    "accounts.ApiToken",
}


def database_fingerprint() -> str:
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.label in VOLATILE_MODELS or model._meta.app_label in {"axes", "django_tasks_db"}:
            continue
        if not model._meta.managed or model._meta.proxy:
            continue
        rows = list(model._default_manager.order_by("pk").values())
        digest.update(model._meta.label.encode())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def refusals_logged(user: User) -> int:
    """The refused accesses logged for the user (R1.5).

    Where the log folds repeats of one user, route and minute into one row with a ``count``, a refusal adds
    one to a count instead of a row: so this sums the counts, or counts the rows when there is no such field.
    """
    rows = SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED, user=user)
    if "count" not in {f.name for f in SecurityLog._meta.get_fields()}:
        return rows.count()
    return rows.aggregate(total=Sum("count"))["total"] or 0


# --- discovering routes --------------------------------------------------------------------------


@dataclass
class Route:
    kind: str  # "api" or "page"
    method: str  # for pages: "ANY"
    path: str  # template with {name} placeholders
    params: list[str]
    body_schema: dict[str, Any] | None = None
    multipart: bool = False


def api_routes(document: dict[str, Any]) -> list[Route]:
    routes = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]
            content = operation.get("requestBody", {}).get("content", {})
            multipart = "multipart/form-data" in content
            body = (content.get("multipart/form-data") or content.get("application/json") or {}).get("schema")
            routes.append(Route("api", method.upper(), path, params, body, multipart))
    return routes


def _walk_patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, list[str]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), list(entry.pattern.converters)


def page_routes(urlconf: Any = None) -> list[Route]:
    routes = []
    for raw, _converters in _walk_patterns(get_resolver(urlconf).url_patterns):
        if raw.startswith("api/v1/"):
            continue  # the API is walked through its document
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", raw)
        if "^" in path or "(?P" in path:
            path = "/" + raw  # regex patterns (admin): only used for exclusion by prefix
        params = re.findall(r"{(\w+)}", path)
        routes.append(Route("page", "ANY", path, params))
    return routes


# --- request bodies ------------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = document["components"]["schemas"][name]
    return schema


def example_value(schema: dict[str, Any], document: dict[str, Any], name: str = "") -> Any:
    """A small value that passes the schema, so that a request reaches the code that resolves ids."""
    schema = _resolve(schema, document)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(s, document).get("type") != "null"]
            return example_value(options[0], document, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema and schema["default"] is not None and not name.endswith("_id"):
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", []))
        return {
            prop: example_value(sub, document, prop)
            for prop, sub in schema.get("properties", {}).items()
            if prop in required or (prop.endswith(("_id", "_ids")) and prop not in NOT_ID_FIELDS)
        }
    if kind == "array":
        return []
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), int(schema.get("exclusiveMinimum", 0)) + 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return True
    text_format = schema.get("format")
    if text_format == "binary":
        return SimpleUploadedFile("walker.txt", b"walker", content_type="text/plain")
    if text_format == "date":
        return "2030-01-07"
    if text_format == "date-time":
        return "2030-01-07T10:00:00+01:00"
    if text_format == "email" or "email" in name:
        return "walker@example.test"
    length = int(schema.get("minLength", 1))
    return ("x" * max(length, 3))[: int(schema.get("maxLength", 100))]


def body_id_fields(body: dict[str, Any]) -> list[str]:
    return [key for key in body if key.endswith(("_id", "_ids")) and key not in NOT_ID_FIELDS]


# --- the walk ------------------------------------------------------------------------------------


@dataclass
class Finding:
    route: str
    role: str
    problem: str

    def __str__(self) -> str:
        return f"{self.route} as {self.role}: {self.problem}"


def _client(user: User, kind: str) -> Client:
    if kind == "api":
        token = create_api_token(acting_user=user, name="walker")[1]
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client = Client()
    client.force_login(user)
    return client


def _fill(path: str, values: dict[str, Any]) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), path)


def _id_kind_for_body_field(field: str) -> IdKind | None:
    name = field[:-1] if field.endswith("_ids") else field
    return ID_KINDS.get(name)


def _send(client: Client, method: str, url: str, body: Any, multipart: bool = False) -> Any:
    if method in {"GET", "DELETE"}:
        return getattr(client, method.lower())(url)
    if multipart:  # a fresh file each time: an upload is consumed by the request that sends it
        fresh = {
            k: SimpleUploadedFile(v.name, b"walker", content_type=v.content_type)
            if isinstance(v, SimpleUploadedFile)
            else v
            for k, v in body.items()
        }
        return getattr(client, method.lower())(url, data=fresh)
    return getattr(client, method.lower())(url, data=json.dumps(body), content_type="application/json")


def walk(
    world: Any,
    *,
    document: dict[str, Any],
    urlconf: Any = None,
    roles: list[str] | None = None,
    only: Callable[[str], bool] | None = None,
) -> tuple[list[Finding], set[str]]:
    """Walk every route as every role. Returns the findings and the set of routes that were exercised."""
    findings: list[Finding] = []
    exercised: set[str] = set()
    routes = [
        r
        for r in api_routes(document) + page_routes(urlconf)
        if r.path not in PUBLIC_ROUTES and not any(r.path.startswith(p) for p in EXCLUDED_PREFIXES)
    ]
    if only is not None:
        routes = [r for r in routes if only(r.path)]
    for route in routes:
        label = f"{route.method} {route.path}"
        unknown = [p for p in route.params if p not in ID_KINDS]
        if unknown:
            findings.append(Finding(label, "-", f"path parameter(s) {unknown} have no entry in ID_KINDS"))
            continue
        body = example_value(route.body_schema, document) if route.body_schema else None
        if isinstance(body, dict):
            unknown_fields = [f for f in body_id_fields(body) if _id_kind_for_body_field(f) is None]
            if unknown_fields:
                findings.append(Finding(label, "-", f"body id field(s) {unknown_fields} have no entry in ID_KINDS"))
                continue
        for role in roles or ALL_ROLES:
            user = world.users[role]
            client = _client(user, route.kind)
            own = {p: ID_KINDS[p].own(world, user) for p in route.params}
            attempts: list[tuple[str, str, Any]] = []
            for param in route.params:
                foreign = ID_KINDS[param].foreign(world, user)
                if foreign is not None:
                    attempts.append((f"path {param}", _fill(route.path, {**own, param: foreign}), body))
            if isinstance(body, dict):
                for field in body_id_fields(body):
                    kind = _id_kind_for_body_field(field)
                    assert kind is not None
                    foreign = kind.foreign(world, user)
                    if foreign is not None:
                        legit = {f: (_id_kind_for_body_field(f).own(world, user)) for f in body_id_fields(body)}  # type: ignore[union-attr]
                        legit = {f: ([v] if f.endswith("_ids") else v) for f, v in legit.items()}
                        changed = {**body, **legit, field: [foreign] if field.endswith("_ids") else foreign}
                        attempts.append((f"body {field}", _fill(route.path, own), changed))
            if not route.params and not attempts:
                if route.kind == "api" and route.method != "GET":
                    # A write that names no id can only create the caller's own objects: nothing foreign
                    # to send. Its field validation is proven by schemathesis and its own tests.
                    exercised.add(label)
                    continue
                response = client.get(_fill(route.path, own))
                exercised.add(label)
                if response.status_code >= 500:
                    findings.append(Finding(label, role, f"server error {response.status_code}"))
                    continue
                text = response.content.decode("utf-8", "replace")
                for marker_source in MARKERS:
                    for marker in marker_source(world, user):
                        if marker and marker in text:
                            findings.append(Finding(label, role, f"shows foreign data {marker!r}"))
                continue
            for what, url, payload in attempts:
                before = database_fingerprint()
                logged_before = refusals_logged(user)
                if route.kind == "api":
                    statuses = [_send(client, route.method, url, payload, route.multipart).status_code]
                else:
                    statuses = [client.get(url).status_code, client.post(url, data={}).status_code]
                exercised.add(label)
                if 404 not in statuses or any(s not in (404, 405) for s in statuses):
                    findings.append(Finding(label, role, f"foreign {what} answered {statuses}, expected 404"))
                if database_fingerprint() != before:
                    findings.append(Finding(label, role, f"foreign {what} changed the database"))
                logged, refused = refusals_logged(user) - logged_before, statuses.count(404)
                if logged != refused:
                    findings.append(
                        Finding(label, role, f"foreign {what}: {logged} refusal(s) logged for {refused} refused (R1.5)")
                    )
    uncovered = {f"{r.method} {r.path}" for r in routes} - exercised - {f.route for f in findings}
    for label in sorted(uncovered):
        findings.append(
            Finding(
                label,
                "-",
                "no role could be sent a foreign id here; add an ID_KINDS entry or a PUBLIC_ROUTES reason",
            )
        )
    return findings, exercised


# --- apps' id kinds, world objects and markers -----------------------------------------------------
import sys  # noqa: E402

from tests.contracts import isolation_world as _contracts_isolation  # noqa: E402

_contracts_isolation.register(sys.modules[__name__])

from tests.tickets import isolation_world as _tickets_isolation  # noqa: E402

_tickets_isolation.register(sys.modules[__name__])

from tests.contact import isolation_world as _contact_isolation  # noqa: E402

_contact_isolation.register(sys.modules[__name__])

from tests.outbox import isolation_world as _outbox_isolation  # noqa: E402

_outbox_isolation.register(sys.modules[__name__])

from tests.channels import isolation_world as _channels_isolation  # noqa: E402

_channels_isolation.register(sys.modules[__name__])
from tests.webhooks import isolation_world as _webhooks_isolation  # noqa: E402

_webhooks_isolation.register(sys.modules[__name__])
from tests.billing import isolation_world as _billing_isolation  # noqa: E402

_billing_isolation.register(sys.modules[__name__])
from tests.manual import isolation_world as _manual_isolation  # noqa: E402

_manual_isolation.register(sys.modules[__name__])
from tests.reports import isolation_world as _reports_isolation  # noqa: E402

_reports_isolation.register(sys.modules[__name__])
