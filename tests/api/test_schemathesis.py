"""Property-based API tests: every operation of the published document, as a partner and as the vendor.

The operations come from the OpenAPI document the app serves, so routes added by any app are covered
without touching this file. Bad input must never be a server error, and every response must match the
document, including the declared error responses (R13.1, R12.2).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ApiToken, User
from partnerdesk.accounts.services import create_api_token

app = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
# The second role gets only the random cases: the coverage phase's systematic cases (boundary values,
# each kind of bad input, methods a path does not have) are refused or accepted by the parser before any
# role matters, and they are the largest share of the run, which has to stay short as the API grows.
schema_for_second_role = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    app,
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
# Random cases per operation and mode, on top of the coverage phase's systematic ones; raise it for a
# deeper run (e.g. PARTNERDESK_FUZZ_EXAMPLES=200).
FUZZ_EXAMPLES = int(os.environ.get("PARTNERDESK_FUZZ_EXAMPLES", "10"))
BOUNDED = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Serve the WSGI app inside the test's transaction, as Django's test client does.

    Django's handler closes "old" connections around each request; inside the test's atomic block that
    would break the transaction, so the signal handlers are detached for the test's duration.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Id parameters whose name does not say the model's name.
MODEL_OF_PARAMETER = {
    "token_id": "accounts.ApiToken",
    "webhook_id": "webhooks.Endpoint",
    "mail_id": "channels.InboundMail",
    "section_id": "manual.Section",
    "callback_id": "channels.Appointment",
    "meeting_id": "channels.Appointment",
    "agent_id": "accounts.User",
    "consenting_user_id": "accounts.User",
}


@functools.cache
def _models_named_by(parameter: str) -> tuple[Any, ...]:
    label = MODEL_OF_PARAMETER.get(parameter)
    if label is not None:
        return (apps.get_model(label),)
    wanted = parameter.removesuffix("_id").replace("_", "")
    return tuple(
        m for m in apps.get_models() if m.__name__.lower() == wanted and m.__module__.startswith("partnerdesk")
    )


def _existing_ids(parameter: str) -> list[int]:
    """Primary keys of the rows an `<model>_id` parameter can name (own and foreign ones alike)."""
    models = _models_named_by(parameter)
    return sorted({pk for model in models for pk in model._default_manager.values_list("pk", flat=True)[:20]})


def _aim_at_existing_rows(case: Any) -> None:
    """Random ids almost never name a row, so only 404s would be seen; aim two of three valid cases at
    existing rows (mapped from the generated number, so Hypothesis can still shrink)."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    containers = [case.path_parameters or {}, case.body if isinstance(case.body, dict) else {}]
    for container in containers:
        for name, value in container.items():
            if name.endswith("_id") and isinstance(value, int) and not isinstance(value, bool) and value % 3:
                ids = _existing_ids(name)
                if ids:
                    container[name] = ids[value % len(ids)]


class Bearer:
    """A token for the asker, replaced when a generated call revoked it or disabled its user."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.token: ApiToken | None = None
        self.raw = ""

    def headers(self) -> dict[str, str]:
        usable = ApiToken.objects.filter(pk=getattr(self.token, "pk", None), revoked_at__isnull=True).exists()
        if not usable:
            self.token, self.raw = create_api_token(acting_user=self.user, name="schemathesis")
        return {"Authorization": f"Bearer {self.raw}"}


def _call_as(case: Any, bearer: Bearer) -> None:
    _aim_at_existing_rows(case)
    case.call_and_validate(headers=bearer.headers(), checks=CHECKS)


@pytest.fixture
def partner_agent(world: Any) -> Bearer:
    return Bearer(world.user(Role.L1_AGENT))


@pytest.fixture
def vendor_admin(world: Any) -> Bearer:
    return Bearer(world.user(Role.VENDOR_ADMIN))


@schema.parametrize()
@BOUNDED
def test_r13_1_every_operation_as_partner_l1_agent(case, partner_agent, in_test_transaction):
    _call_as(case, partner_agent)


@schema_for_second_role.parametrize()
@BOUNDED
def test_r13_1_every_operation_as_vendor_admin(case, vendor_admin, in_test_transaction):
    _call_as(case, vendor_admin)
