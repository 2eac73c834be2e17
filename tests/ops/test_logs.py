"""Issue 17 item 4 (R13.2, R9.1): one JSON line per event, the request id carried from the request to the
mail it enqueued and to the worker's lines about it, and no end customer's contact data in any line."""

from __future__ import annotations

import io
import json
import logging

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.ops.logs import Formatter, redact
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage

CONTACT = {"name": "Hildegard Vertraulich", "email": "hildegard.vertraulich@kunde.example", "phone": "+49 89 1234567"}


@pytest.fixture
def log_lines():
    """Every line the installation's JSON formatter writes while the test runs (all loggers, DEBUG)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Formatter())
    from partnerdesk.accounts.request_context import RequestIdLogFilter

    handler.addFilter(RequestIdLogFilter())
    loggers = [logging.getLogger(), logging.getLogger("partnerdesk"), logging.getLogger("django")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    loggers[0].addHandler(handler)  # the others propagate to it
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        loggers[0].removeHandler(handler)
        for lg, level in saved:
            lg.setLevel(level)


def test_r13_2_a_log_line_is_one_json_object_with_the_request_id(log_lines):
    logging.getLogger("partnerdesk.test").info("hello %s", "world", extra={"ticket": 7})
    (line,) = [entry for entry in log_lines() if entry.get("logger") == "partnerdesk.test"]
    assert line["message"] == "hello world" and line["level"] == "INFO" and line["request_id"] == "-"
    assert line["ticket"] == 7
    from datetime import UTC, datetime

    when = datetime.fromisoformat(line["time"])
    assert when.utcoffset() is not None and abs((datetime.now(UTC) - when).total_seconds()) < 60


def test_r9_1_addresses_and_phone_numbers_are_masked_in_any_line(log_lines):
    assert redact("mail from erika@customer.example, call +49 30 5550123") == "mail from [address], call [phone]"
    assert (
        redact("at 2026-12-01 17:17:18 ticket 4711 for 15 minutes")
        == "at 2026-12-01 17:17:18 ticket 4711 for 15 minutes"
    )
    logging.getLogger("partnerdesk.test").warning("refused %s", CONTACT["email"], extra={"to": CONTACT["phone"]})
    text = json.dumps(log_lines())
    assert CONTACT["email"] not in text and CONTACT["phone"] not in text


@pytest.mark.django_db
def test_r13_2_the_request_id_goes_with_the_mail_to_the_worker(api_as, log_lines):
    admin = api_as(Role.VENDOR_ADMIN)
    response = admin.post(
        "partners", {"name": "Logs GmbH", "admin_email": "first@logs.example"}, **{"X-Request-ID": "req-17-abc"}
    )
    assert response.status_code == 201, response.content
    row = OutboxMessage.objects.get()
    assert row.request_id == "req-17-abc"
    deliver_due()
    worker_lines = [e for e in log_lines() if e.get("logger") == "partnerdesk.outbox.delivery"]
    assert worker_lines and {e["request_id"] for e in worker_lines} == {"req-17-abc"}
    access = [e for e in log_lines() if e.get("logger") == "partnerdesk.access"]
    assert access[-1]["route"] == "api/v1/partners" and access[-1]["status"] == 201


@pytest.mark.django_db
def test_r9_1_no_contact_data_of_end_customers_in_any_log_line(world, api_as, log_lines, run_worker):
    """Create an end customer with its contact person, read it, change it, fail a validation with it, and let the
    worker run: the person's name, address and phone number appear in no line."""
    partner_admin = api_as(Role.PARTNER_ADMIN)
    base = f"partners/{world.partner_a.pk}/end-customers"
    created = partner_admin.post(base, {"name": "Vertraulich AG", "contacts": [CONTACT]})
    assert created.status_code == 201, created.content
    customer = created.json()["id"]
    assert partner_admin.get(f"{base}/{customer}").status_code == 200
    bad = partner_admin.post(
        base, {"name": "", "contacts": [{**CONTACT, "email": "not an address " + CONTACT["email"]}]}
    )
    assert bad.status_code == 422
    outsider = api_as(world.outsider[Role.PARTNER_ADMIN])
    assert outsider.get(f"{base}/{customer}").status_code == 404
    run_worker()
    lines = log_lines()
    assert lines, "nothing was logged"
    text = json.dumps(lines)
    for value in CONTACT.values():
        assert value not in text, value
