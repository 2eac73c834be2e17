"""Every list of the API takes the same number of queries with a row or with many (ARCHITECTURE convention 8,
issue 9 item 9; R12.2). The lists are discovered from the OpenAPI document: a GET whose answer is a page
(`items`) or an array. A discovered list without a factory in ROUTES fails, so no new list escapes."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role
from tests import query_counts as qc
from tests.query_counts import ListCase

VENDOR_ADMIN_AND_PARTNER = (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN)

# GETs that answer one object but carry a list that grows with rows (not found by the schema walk).
ALSO_LISTS = {
    "/api/v1/audit-log/export": "the audit log as CSV",
    "/api/v1/contracts/{contract_id}/usage": "per term, and one next-invoice line per ticket",
    "/api/v1/invoices/{invoice_id}": "one invoice with its lines",
    "/api/v1/reports/manual-deflection": "per partner and per section",
    "/api/v1/reports/{name}": "a report's rows and its detail tables",
}

ROUTES: dict[str, ListCase] = {
    "/api/v1/partners": ListCase(qc.grow_partners, roles=(Role.VENDOR_ADMIN, Role.SALES)),
    "/api/v1/partners/{partner_id}/end-customers": ListCase(qc.grow_end_customers),
    "/api/v1/users": ListCase(qc.grow_users, roles=VENDOR_ADMIN_AND_PARTNER),
    "/api/v1/tokens": ListCase(qc.grow_tokens, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/api/v1/plans": ListCase(qc.grow_plans, roles=(Role.SALES, Role.PARTNER_ADMIN)),
    "/api/v1/contracts": ListCase(qc.grow_contracts, roles=(Role.SALES, Role.PARTNER_ADMIN)),
    "/api/v1/contracts/{contract_id}/events": ListCase(qc.grow_contract_events, roles=(Role.SALES, Role.PARTNER_ADMIN)),
    "/api/v1/contracts/{contract_id}/usage": ListCase(qc.grow_usage, roles=(Role.SALES, Role.PARTNER_ADMIN)),
    "/api/v1/tickets": ListCase(qc.grow_tickets, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/api/v1/tickets/{ticket_id}/history": ListCase(qc.grow_transitions),
    "/api/v1/tickets/{ticket_id}/messages": ListCase(qc.grow_messages),
    "/api/v1/tickets/{ticket_id}/attachments": ListCase(qc.grow_attachments),
    "/api/v1/defects": ListCase(qc.grow_defects, roles=(Role.L1_AGENT, Role.L3_ENGINEER)),
    "/api/v1/tickets/{ticket_id}/time-entries": ListCase(qc.grow_time_entries),
    "/api/v1/tickets/{ticket_id}/time-entry-events": ListCase(qc.grow_time_entry_events),
    "/api/v1/contracts/{contract_id}/time-entries": ListCase(qc.grow_time_entries),
    "/api/v1/authorizations": ListCase(qc.grow_authorizations, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/api/v1/tickets/{ticket_id}/contacts": ListCase(qc.grow_contacts),
    "/api/v1/tickets/{ticket_id}/end-customer-mails": ListCase(qc.grow_mails),
    "/api/v1/audit-log": ListCase(qc.grow_audit_log, roles=VENDOR_ADMIN_AND_PARTNER),
    "/api/v1/audit-log/export": ListCase(qc.grow_audit_log, roles=VENDOR_ADMIN_AND_PARTNER),
    "/api/v1/webhooks": ListCase(qc.grow_webhooks, roles=(Role.PARTNER_ADMIN,)),
    "/api/v1/inbox": ListCase(qc.grow_inbox, roles=VENDOR_ADMIN_AND_PARTNER),
    "/api/v1/invoices": ListCase(qc.grow_invoices, roles=(Role.BILLING, Role.PARTNER_ADMIN)),
    "/api/v1/invoices/{invoice_id}": ListCase(
        qc.grow_invoice_lines, roles=(Role.BILLING, Role.PARTNER_ADMIN), setup=qc.one_invoice
    ),
    "/api/v1/manual/sections": ListCase(qc.grow_manual_sections, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/api/v1/reports/manual-deflection": ListCase(
        qc.grow_solved_with_manual, roles=(Role.VENDOR_ADMIN, Role.PARTNER_ADMIN)
    ),
    "/api/v1/tickets/{ticket_id}/callbacks": ListCase(qc.grow_callbacks, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/api/v1/tickets/{ticket_id}/meetings": ListCase(qc.grow_meetings, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/api/v1/tickets/{ticket_id}/remote-sessions": ListCase(
        qc.grow_remote_sessions, roles=(Role.L1_AGENT, Role.L2_AGENT)
    ),
    "/api/v1/support-hours/slots": ListCase(qc.grow_slots, roles=(Role.L1_AGENT, Role.L2_AGENT), fixed_length=True),
    "/api/v1/billing-runs": ListCase(qc.grow_billing_runs, roles=(Role.BILLING, Role.VENDOR_ADMIN)),
    "/api/v1/reports": ListCase(qc.grow_report_rows, roles=(Role.SALES, Role.L1_AGENT), fixed_length=True),
    "/api/v1/reports/{name}": ListCase(
        qc.grow_report_rows, roles=(Role.VENDOR_ADMIN, Role.PARTNER_ADMIN), setup=qc.report_named("service-levels")
    ),
    "/api/v1/webhooks/{webhook_id}/deliveries": ListCase(
        qc.grow_webhook_deliveries, roles=(Role.PARTNER_ADMIN,), setup=qc.webhook_endpoint
    ),
}


def _resolve(schema: dict, document: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def list_routes(document: dict) -> set[str]:
    """Every GET whose 200 answer is an array or a page of `items`, and ALSO_LISTS."""
    found = set()
    for path, operations in document["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        content = (operation["responses"].get("200") or {}).get("content", {})
        schema = _resolve(content.get("application/json", {}).get("schema", {}), document)
        items = _resolve(schema.get("properties", {}).get("items", {}), document)
        if schema.get("type") == "array" or items.get("type") == "array":
            found.add(path)
    return found | set(ALSO_LISTS)


def _document() -> dict:
    return json.loads(Client().get("/api/v1/openapi.json").content)


@pytest.mark.django_db
def test_r12_2_every_api_list_has_a_row_factory():
    discovered = list_routes(_document())
    assert "/api/v1/tickets" in discovered and "/api/v1/tickets/{ticket_id}/contacts" in discovered
    missing = sorted(discovered - set(ROUTES))
    assert not missing, f"list endpoints without a query-count factory in ROUTES: {missing}"
    stale = sorted(set(ROUTES) - discovered)
    assert not stale, f"ROUTES names endpoints that are no lists (any more): {stale}"


def _cases() -> list:
    cases = []
    for path, case in ROUTES.items():
        for role in case.roles:
            cases.append(pytest.param(path, role, id=f"{path.removeprefix('/api/v1/')}-{role}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "role"), _cases())
def test_r12_2_api_list_query_count_does_not_grow_with_rows(world, django_capture_on_commit_callbacks, path, role):
    lw = qc.lists_world(world, django_capture_on_commit_callbacks)
    if ROUTES[path].setup is not None:
        ROUTES[path].setup(lw)
    url = re.sub(r"{(\w+)}", lambda m: str(lw.ids()[m.group(1)]), path)
    qc.assert_does_not_grow(lw, ROUTES[path], role, url, qc.api_client)


# The statements of the ticket endpoints the speed issue measures (bench/bench_api.py), fixed per request:
# not only "does not grow", but exactly these (transaction control left out: BEGIN/COMMIT, and the savepoints
# the test's own transaction turns them into).
TICKET_STATEMENTS = {
    "partner list": (Role.L1_AGENT, "GET", "/api/v1/tickets", ["token", "bounded count", "page"]),
    "vendor queue": (
        Role.L2_AGENT,
        "GET",
        "/api/v1/tickets?state=escalated&state=third_level&ordering=due",
        ["token", "bounded count", "page", "the page's contact persons (masking)"],
    ),
    "partner detail": (
        Role.L1_AGENT,
        "GET",
        "/api/v1/tickets/{ticket_id}",
        ["token", "ticket", "defects", "manual sections linked (R8.2)"],
    ),
    "vendor detail": (
        Role.L2_AGENT,
        "GET",
        "/api/v1/tickets/{ticket_id}",
        ["token", "ticket", "defects", "manual sections linked (R8.2)", "contact persons (masking)"],
    ),
    "create": (
        Role.L1_AGENT,
        "POST",
        "/api/v1/tickets",
        ["token", "end customer", "insert ticket", "insert transition", "insert follower"],
    ),
}
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@pytest.mark.django_db
@pytest.mark.parametrize("name", TICKET_STATEMENTS)
def test_r12_2_ticket_endpoints_run_a_fixed_set_of_statements(world, django_capture_on_commit_callbacks, name):
    """Speed issue: one indexed token lookup; lists read count and page (and, for the vendor, the page's
    contacts); detail reads the ticket once; create checks no constraint with a query before its inserts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lw = qc.lists_world(world, django_capture_on_commit_callbacks)
    qc.grow_tickets(lw, lw.user(Role.L1_AGENT), 3)
    role, method, path, expected = TICKET_STATEMENTS[name]
    client = qc.api_client(lw.user(role))
    url = path.format(ticket_id=lw.ticket.pk)
    body = {"end_customer_id": world.customer_a.pk, "subject": "Printing hangs", "description": "Since today"}

    def call():
        if method == "POST":
            return client.post(url, body, content_type="application/json")
        return client.get(url)

    assert call().status_code in (200, 201)  # warm-up: the token's use is recorded once a minute
    with CaptureQueriesContext(connection) as captured:
        assert call().status_code in (200, 201)
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(_TRANSACTION_CONTROL)]
    assert not [s for s in statements if '"_check"' in s], "a constraint checked by a query before the write"
    assert len(statements) == len(expected), f"{name}: expected {expected}, ran:\n" + "\n".join(
        s[:200] for s in statements
    )
