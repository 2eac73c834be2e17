"""Server errors are logged with traceback and request id, and the id goes back to the client (R13.1).

Issue 10 item 12. A route is made to fail by making the selector it calls raise.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client

from partnerdesk.accounts import selectors
from partnerdesk.accounts.choices import Role
from partnerdesk.api.models import IdempotencyRecord
from tests.conftest import ApiClient

GENERATED = re.compile(r"[0-9a-f]{32}")


class Boom(RuntimeError):
    pass


@pytest.fixture
def failing_partner_list(monkeypatch):
    def explode(user):
        raise Boom("the partner list exploded")

    monkeypatch.setattr(selectors, "partners_visible_to", explode)


def _server_errors(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]


@pytest.mark.django_db
def test_r13_1_api_server_error_is_logged_with_traceback_and_request_id(world, failing_partner_list, caplog):
    api = ApiClient(world.user(Role.VENDOR_ADMIN))
    api.client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api.get("partners", **{"X-Request-ID": "trace-4711"})
    assert response.status_code == 500
    assert response["X-Request-ID"] == "trace-4711"
    body = response.json()
    assert body["request_id"] == "trace-4711" and body["errors"] == [] and body["detail"]
    [record] = _server_errors(caplog)  # logged once, not again by Django's handler
    assert record.exc_info is not None and record.exc_info[0] is Boom
    assert record.request_id == "trace-4711"
    assert "/api/v1/partners" in record.getMessage()


@pytest.mark.django_db
def test_r13_1_page_server_error_is_logged_with_traceback_and_request_id(world, failing_partner_list, caplog):
    page = Client(raise_request_exception=False)
    page.force_login(world.user(Role.VENDOR_ADMIN))
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = page.get("/partners/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert GENERATED.fullmatch(request_id)
    assert request_id in response.content.decode()
    [record] = _server_errors(caplog)
    assert record.exc_info is not None and record.exc_info[0] is Boom
    assert record.request_id == request_id


@pytest.mark.django_db
def test_r13_1_a_failed_idempotent_write_is_logged_and_stores_nothing(world, monkeypatch, caplog):
    from partnerdesk.accounts import services

    def explode(**kwargs):
        raise Boom("the write exploded")

    monkeypatch.setattr(services, "create_end_customer", explode)
    api = ApiClient(world.user(Role.L1_AGENT))
    api.client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = api.post(f"partners/{world.partner_a.pk}/end-customers", {"name": "X"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 500 and response.json()["request_id"] == response["X-Request-ID"]
    assert len(_server_errors(caplog)) == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize(
    "incoming", ["", "has space", "x" * 200, "<script>", "-starts-with-dash", "ümlaut", "a;b", "a\tb"]
)
def test_r13_1_an_insane_incoming_request_id_is_replaced(incoming):
    response = Client().get("/api/v1/health", headers={"X-Request-ID": incoming} if incoming else None)
    assert response.status_code == 200
    assert GENERATED.fullmatch(response["X-Request-ID"])


@pytest.mark.parametrize("incoming", ["trace-4711", "0f8fad5b-d9cb-469f-a165-70867728950e", "Root=1-67891233-abc"])
def test_r13_1_a_sane_incoming_request_id_is_kept(incoming):
    assert Client().get("/api/v1/health", headers={"X-Request-ID": incoming})["X-Request-ID"] == incoming


def test_r13_1_the_log_format_carries_the_request_id():
    from django.conf import settings

    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.MIDDLEWARE[0] == "partnerdesk.web.middleware.RequestIdMiddleware"


def test_r13_1_not_found_and_forbidden_pages_have_navigation_in_the_users_language(world):
    from django.test import Client

    from partnerdesk.accounts.choices import Role

    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(world.user(Role.L1_AGENT), backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    missing = client.get("/tickets/999999/")
    assert missing.status_code == 404
    text = missing.content.decode()
    assert "Nicht gefunden" in text and 'href="/"' in text and "<nav" in text
    refused = client.get("/users/")  # an L1 agent manages no users
    assert refused.status_code == 403 and "Nicht erlaubt" in refused.content.decode()
    api = Client().get("/api/v1/no-such-route")
    assert api.status_code == 404 and api.json()["detail"]
