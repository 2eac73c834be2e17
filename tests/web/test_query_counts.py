"""Every list page takes the same number of queries with a row or with many (ARCHITECTURE convention 8,
issue 9 item 9; R12.2). The pages are discovered from the URL resolver (as the isolation walker does);
each is either measured here (PAGES, with a factory for its rows) or named in NOT_LISTS with the reason,
which the test checks (a POST-only route answers GET with 405, a redirect with 302). A page in neither
fails, so no new page escapes."""

from __future__ import annotations

import re

import pytest

from partnerdesk.accounts.choices import Role
from tests import isolation
from tests import query_counts as qc
from tests.query_counts import ListCase

POST_ONLY = "post"  # a form's target: GET is answered 405
REDIRECT = "redirect"  # GET sends the user on to a list measured here
NO_ROWS = "no rows"  # GET shows one object or a blank form, no stored rows

NOT_LISTS: dict[str, tuple[str, str]] = {
    "/language/": (POST_ONLY, "switches the language"),
    "/profile/tokens/{token_id}/revoke/": (POST_ONLY, "revokes a token"),
    "/end-customers/": (REDIRECT, "to the partner page or the partner list"),
    "/partners/{partner_id}/end-customers/new/": (NO_ROWS, "a blank end-customer form with blank contact rows"),
    "/users/{user_id}/active/": (POST_ONLY, "enables or disables a user"),
    "/users/{user_id}/role/": (POST_ONLY, "changes a user's role"),
    "/tickets/{ticket_id}/meetings/": (POST_ONLY, "schedules a web meeting from the ticket page"),
    "/meetings/{meeting_id}/cancel/": (POST_ONLY, "cancels a web meeting"),
    "/tickets/{ticket_id}/remote-sessions/": (POST_ONLY, "records a remote session from the ticket page"),
    "/users/{user_id}/invitation/": (POST_ONLY, "mails a new set-password link"),
    "/login/verify/": (NO_ROWS, "asks for the one-time code"),
    "/profile/two-factor/": (NO_ROWS, "the key of a new authenticator app and a code field"),
    "/profile/two-factor/disable/": (POST_ONLY, "removes the authenticator app"),
    "/profile/two-factor/requirement/": (POST_ONLY, "requires two-factor sign-in of vendor staff or not"),
    "/partners/{partner_id}/end-customers/{end_customer_id}/contacts/{contact_person_id}/personal-data/": (
        NO_ROWS,
        "one contact person's request page: the export is a download, measured in tests/ops/test_personal_data.py",
    ),
    "/partners/{partner_id}/end-customers/{end_customer_id}/contacts/{contact_person_id}/personal-data/erase/": (
        POST_ONLY,
        "erases one contact person's personal data",
    ),
    "/users/invite/": (NO_ROWS, "a blank invitation form (its partner choice is one query)"),
    "/partners/new/": (NO_ROWS, "a blank form for a partner and its first admin"),
    "/contracts/request/": (POST_ONLY, "sends a request to Sales"),
    "/contracts/{contract_id}/cancel/": (POST_ONLY, "cancels a contract"),
    "/contracts/{contract_id}/activate/": (POST_ONLY, "activates a contract"),
    "/tickets/{ticket_id}/escalate/": (POST_ONLY, "escalates"),
    "/tickets/{ticket_id}/time/{time_entry_id}/delete/": (POST_ONLY, "deletes a time entry"),
    "/tickets/{ticket_id}/hand-back/": (POST_ONLY, "hands back"),
    "/tickets/{ticket_id}/resolve/": (POST_ONLY, "resolves"),
    "/tickets/{ticket_id}/return/": (POST_ONLY, "returns the ticket to the vendor"),
    "/tickets/{ticket_id}/close/": (POST_ONLY, "closes"),
    "/tickets/{ticket_id}/reopen/": (POST_ONLY, "reopens"),
    "/tickets/{ticket_id}/state/": (POST_ONLY, "sets a first-level state"),
    "/tickets/{ticket_id}/messages/": (POST_ONLY, "writes a message"),
    "/tickets/{ticket_id}/attachments/": (POST_ONLY, "uploads a file"),
    "/tickets/{ticket_id}/attachments/{attachment_id}/": (NO_ROWS, "downloads one file"),
    "/tickets/{ticket_id}/defects/": (POST_ONLY, "links a defect"),
    "/tickets/{ticket_id}/follow/": (POST_ONLY, "follows or stops following the ticket"),
    "/tickets/{ticket_id}/time/": (POST_ONLY, "books time"),
    "/contact/authorizations/new/": (REDIRECT, "to the end customer's grant page"),
    "/contact/authorizations/{authorization_id}/revoke/": (POST_ONLY, "revokes an authorisation"),
    "/contact/tickets/{ticket_id}/mail/": (POST_ONLY, "sends a mail"),
    "/contact/brand/": (NO_ROWS, "the partner's one brand"),
    "/outbox/{outbox_message_id}/": (NO_ROWS, "one outbox message"),
    "/outbox/{outbox_message_id}/retry/": (POST_ONLY, "queues a failed message again"),
    "/inbox/{mail_id}/": (NO_ROWS, "one quarantined mail and its choices"),
    "/inbox/{mail_id}/accept/": (POST_ONLY, "takes a mail in"),
    "/inbox/{mail_id}/pass/": (POST_ONLY, "passes a mail to a partner's inbox"),
    "/inbox/{mail_id}/discard/": (POST_ONLY, "discards a mail"),
    "/inbox/{mail_id}/restore/": (POST_ONLY, "restores a discarded mail"),
    "/mail/{mail_id}/original/": (NO_ROWS, "one mail's original bytes"),
    "/webhooks/{webhook_id}/delete/": (POST_ONLY, "deletes a webhook endpoint"),
    "/invoices/{invoice_id}/cancel/": (POST_ONLY, "issues a cancellation invoice"),
    "/billing/settings/": (NO_ROWS, "the vendor's one invoice data form"),
    "/tickets/{ticket_id}/callbacks/": (POST_ONLY, "asks for a callback"),
    "/callbacks/{callback_id}/schedule/": (POST_ONLY, "schedules a callback"),
    "/appointments/{appointment_id}/log/": (POST_ONLY, "logs a callback or meeting as time"),
    "/partners/{partner_id}/billing/": (NO_ROWS, "one partner's billing data form"),
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver/": (POST_ONLY, "queues a delivery again"),
    "/manual/new/": (NO_ROWS, "a blank section form"),
    "/manual/suggestions/": (NO_ROWS, "at most five sections for the capture's text, and those ticked"),
    "/manual/sections/{section_id}/": (NO_ROWS, "one manual section"),
    "/manual/sections/{section_id}/edit/": (NO_ROWS, "one section's form"),
    "/manual/sections/{section_id}/publish/": (POST_ONLY, "publishes or takes back a section"),
}

SALES_AND_PARTNER = (Role.SALES, Role.PARTNER_ADMIN)
ADMINS = (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN)

PAGES: dict[str, ListCase | tuple[ListCase, ...]] = {
    "/": (
        ListCase(qc.grow_security_log, roles=ADMINS),
        ListCase(
            qc.grow_report_rows,
            roles=(Role.L1_AGENT, Role.L2_AGENT, Role.PARTNER_ADMIN, Role.SALES),
            name="role-panels",
        ),
    ),
    "/profile/": ListCase(qc.grow_tokens, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/partners/": ListCase(qc.grow_partners, roles=(Role.VENDOR_ADMIN, Role.SALES)),
    "/partners/{partner_id}/": ListCase(qc.grow_end_customers),
    "/partners/{partner_id}/end-customers/{end_customer_id}/": ListCase(qc.grow_contacts, roles=(Role.PARTNER_ADMIN,)),
    "/users/": ListCase(qc.grow_users, roles=ADMINS),
    "/contracts/": ListCase(qc.grow_contracts, roles=SALES_AND_PARTNER),
    "/contracts/new/": ListCase(qc.grow_form_choices, roles=(Role.SALES,)),
    "/contracts/{contract_id}/": ListCase(qc.grow_contract_page, roles=(*SALES_AND_PARTNER, Role.L2_AGENT)),
    "/plans/": ListCase(qc.grow_plans, roles=SALES_AND_PARTNER),
    "/plans/new/": ListCase(qc.grow_partners, roles=(Role.SALES,)),
    "/tickets/": ListCase(qc.grow_tickets, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/day-plan/": ListCase(qc.grow_day_plan, roles=(Role.L2_AGENT, Role.VENDOR_ADMIN)),
    "/tickets/new/": ListCase(qc.grow_end_customers, roles=(Role.L1_AGENT,)),
    "/tickets/{ticket_id}/": (
        ListCase(qc.grow_ticket_page),
        ListCase(qc.grow_first_level_page, roles=(Role.L1_AGENT,), setup=qc.first_level_ticket, name="first-level"),
    ),
    "/contact/authorizations/": ListCase(qc.grow_authorizations, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/contact/end-customers/{end_customer_id}/authorize/": ListCase(qc.grow_form_choices, roles=(Role.L1_AGENT,)),
    "/contact/tickets/{ticket_id}/": ListCase(qc.grow_contact_page),
    "/contact/audit-log/": ListCase(qc.grow_audit_log, roles=ADMINS),
    "/contact/audit-log.csv": ListCase(qc.grow_audit_log, roles=ADMINS),
    "/outbox/": ListCase(qc.grow_outbox, roles=(Role.VENDOR_ADMIN,)),
    "/inbox/": ListCase(qc.grow_inbox, roles=ADMINS),
    "/webhooks/": ListCase(qc.grow_webhooks, roles=(Role.PARTNER_ADMIN,)),
    "/invoices/": ListCase(qc.grow_invoices, roles=(Role.BILLING, Role.PARTNER_ADMIN)),
    "/invoices/{invoice_id}/": ListCase(
        qc.grow_invoice_lines, roles=(Role.BILLING, Role.PARTNER_ADMIN), setup=qc.one_invoice
    ),
    "/manual/": ListCase(qc.grow_manual_sections, roles=(Role.L1_AGENT, Role.L2_AGENT)),
    "/manual/deflection/": ListCase(qc.grow_solved_with_manual, roles=ADMINS),
    "/billing/runs/": ListCase(qc.grow_billing_runs, roles=(Role.BILLING, Role.VENDOR_ADMIN)),
    "/billing/runs/{run_id}/": ListCase(qc.grow_run_invoices, roles=(Role.BILLING,), setup=qc.one_billing_run),
    "/reports/": ListCase(qc.grow_report_rows, roles=(Role.SALES, Role.L1_AGENT), fixed_length=True),
    "/reports/{name}/": tuple(
        ListCase(qc.grow_report_rows, roles=roles, setup=qc.report_named(name), name=name)
        for name, roles in (
            ("time", (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN)),
            ("service-levels", (Role.L2_AGENT, Role.L1_AGENT)),
            ("usage", (Role.SALES,)),
            ("next-invoice", (Role.PARTNER_ADMIN,)),
        )
    )
    + (
        ListCase(qc.grow_report_rows, roles=(Role.BILLING,), setup=qc.report_named("revenue"), name="revenue"),
        ListCase(qc.grow_report_rows, roles=ADMINS, setup=qc.report_named("tickets"), name="tickets"),
        ListCase(qc.grow_solved_with_manual, roles=ADMINS, setup=qc.report_named("manual-deflection"), name="manual"),
    ),
    "/webhooks/{webhook_id}/": ListCase(
        qc.grow_webhook_deliveries, roles=(Role.PARTNER_ADMIN,), setup=qc.webhook_endpoint
    ),
}


def _pages() -> set[str]:
    return {
        route.path
        for route in isolation.page_routes()
        if route.path not in isolation.PUBLIC_ROUTES
        and not any(route.path.startswith(prefix) for prefix in isolation.EXCLUDED_PREFIXES)
    }


def test_r12_2_every_page_is_measured_or_named_as_no_list():
    discovered = _pages()
    assert "/tickets/" in discovered and "/contact/audit-log/" in discovered
    missing = sorted(discovered - set(PAGES) - set(NOT_LISTS))
    assert not missing, f"pages without a query-count factory in PAGES (or a reason in NOT_LISTS): {missing}"
    stale = sorted((set(PAGES) | set(NOT_LISTS)) - discovered)
    assert not stale, f"no such pages (any more): {stale}"
    assert not set(PAGES) & set(NOT_LISTS)


@pytest.mark.django_db
def test_r12_2_pages_named_as_no_list_are_what_their_reason_says(world):
    client = qc.page_client(world.user(Role.PARTNER_ADMIN))
    for path, (kind, reason) in NOT_LISTS.items():
        url = re.sub(r"{\w+}", "999999", path)
        if kind == POST_ONLY:
            assert client.get(url).status_code == 405, f"{path} ({reason}) is not POST-only"
        elif kind == REDIRECT:
            assert client.get(url).status_code == 302, f"{path} ({reason}) does not redirect"


def _cases() -> list:
    cases = []
    for path, entry in PAGES.items():
        for index, case in enumerate(entry if isinstance(entry, tuple) else (entry,)):
            for role in case.roles:
                name = f"{path}-{case.name or role}" + (f"-{role}" if case.name else "")
                cases.append(pytest.param(path, index, role, id=name))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "index", "role"), _cases())
def test_r12_2_page_query_count_does_not_grow_with_rows(world, django_capture_on_commit_callbacks, path, index, role):
    entry = PAGES[path]
    case = entry[index] if isinstance(entry, tuple) else entry
    lw = qc.lists_world(world, django_capture_on_commit_callbacks)
    if case.setup is not None:
        case.setup(lw)
    url = re.sub(r"{(\w+)}", lambda m: str(lw.ids()[m.group(1)]), path)
    qc.assert_does_not_grow(lw, case, role, url, qc.page_client)


# The vendor's overview and queue page (speed issue, bench/bench_pages.py): a fixed set of statements, each
# bounded (counts stop at a bound), so that their cost does not grow with the tickets.
VENDOR_PAGE_STATEMENTS = {
    "/": [
        "session",
        "user",
        "two-factor state",
        "active partners",
        "queue (bounded)",
        "overdue (bounded)",
        "waiting (bounded)",
        # the second-level agent's panels (reports.dashboards), ten rows each
        "breached, first 10",
        "at risk, first 10",
        "followed, first 10",
        "today's appointments, first 10",
    ],
    "/tickets/": [
        "session",
        "user",
        "two-factor state",
        "bounded count",
        "page",
        "the page's contact persons (masking)",
    ],
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", VENDOR_PAGE_STATEMENTS)
def test_r12_2_vendor_overview_and_queue_run_a_fixed_set_of_bounded_statements(
    world, django_capture_on_commit_callbacks, path
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lw = qc.lists_world(world, django_capture_on_commit_callbacks)
    qc.grow_tickets(lw, lw.user(Role.L2_AGENT), 3)
    client = qc.page_client(lw.user(Role.L2_AGENT))
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    statements = [q["sql"] for q in captured.captured_queries]
    expected = VENDOR_PAGE_STATEMENTS[path]
    assert len(statements) == len(expected), f"{path}: expected {expected}, ran:\n" + "\n".join(
        s[:200] for s in statements
    )
    unbounded = [s for s in statements if "tickets_ticket" in s and "COUNT(" in s and "LIMIT" not in s]
    assert not unbounded, f"{path} counts tickets without a bound: {unbounded}"
