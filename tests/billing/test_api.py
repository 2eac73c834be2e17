"""Invoicing API (R10.1-R10.4, R12.2): runs executed by the worker, invoices, cancellation, who sees what
(R1.1: billing staff everything, a partner admin its own invoices, everyone else 404)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.billing.models import Invoice
from partnerdesk.billing.services import run_queued_billing_runs
from partnerdesk.outbox.schedule import JOBS

from .conftest import contract_from, last_month, run_period, ticket_of, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(world, seller):
    """Partner A (L) and partner B (M) invoiced for last month."""
    period = last_month()
    contract_a = contract_from(world, "L", world.partner_a, period.start)
    work(world, ticket_of(contract_a), 500, period.start + timedelta(days=1))  # 34 units: 2 extra
    contract_from(world, "M", world.partner_b, period.start)
    run_period(period)
    return Invoice.objects.get(partner=world.partner_a), Invoice.objects.get(partner=world.partner_b)


def test_r10_4_billing_run_is_queued_and_executed_by_the_worker(world, seller, api_as):
    period = last_month()
    contract_from(world, "M", world.partner_a, period.start)
    api = api_as(Role.BILLING)
    response = api.post("billing-runs", {"period": period.key, "dry_run": False})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "queued" and body["progress"]["partners_done"] == 0
    assert "billing.run_queued" in JOBS
    assert run_queued_billing_runs() == 1
    done = api.get(f"billing-runs/{body['id']}").json()
    assert done["state"] == "done"
    assert done["progress"] == {"partners_total": 1, "partners_done": 1, "invoices_issued": 1}
    again = api.post("billing-runs", {"period": period.key}).json()
    run_queued_billing_runs()
    assert api.get(f"billing-runs/{again['id']}").json()["progress"]["invoices_issued"] == 0
    assert Invoice.objects.count() == 1


def test_r10_4_dry_run_over_the_api_answers_what_would_be_issued(world, seller, api_as):
    period = last_month()
    contract_from(world, "M", world.partner_a, period.start)
    api = api_as(Role.VENDOR_ADMIN)
    run_id = api.post("billing-runs", {"period": period.key, "dry_run": True}).json()["id"]
    run_queued_billing_runs()
    body = api.get(f"billing-runs/{run_id}").json()
    assert [item["gross_total"] for item in body["preview"]] == ["593.81"]
    assert Invoice.objects.count() == 0


def test_r13_1_bad_period_is_a_field_error(world, api_as):
    api = api_as(Role.BILLING)
    for period in ("2026-13", "november", "2999-01"):
        response = api.post("billing-runs", {"period": period})
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["field"].endswith("period")
    assert api.get("invoices?period=nonsense").status_code == 422


def test_r10_2_invoice_detail_has_numbers_and_money_as_decimal_strings(billed, api_as):
    invoice_a, _invoice_b = billed
    body = api_as(Role.BILLING).get(f"invoices/{invoice_a.pk}").json()
    assert body["number"] == invoice_a.number and body["partner_id"] == invoice_a.partner_id
    assert body["type_code"] == 380 and body["issued_on"] == invoice_a.issued_on.isoformat()
    assert (body["net_total"], body["vat_total"], body["gross_total"]) == ("943.50", "179.27", "1122.77")
    assert [line["net"] for line in body["lines"]] == ["899.00", "0.00", "44.50"]


def test_r10_1_invoice_list_filters_by_partner_period_and_state(world, billed, api_as):
    api = api_as(Role.BILLING)
    assert len(api.get("invoices").json()["items"]) == 2
    only_a = api.get(f"invoices?partner={world.partner_a.pk}").json()["items"]
    assert [item["partner_id"] for item in only_a] == [world.partner_a.pk]
    assert len(api.get(f"invoices?period={last_month().key}").json()["items"]) == 2
    assert api.get("invoices?period=2001-01").json()["items"] == []
    assert api.get("invoices?state=cancelled").json()["items"] == []


def test_r10_3_cancel_over_the_api_answers_the_cancellation_invoice(billed, api_as):
    invoice_a, _invoice_b = billed
    api = api_as(Role.BILLING)
    response = api.post(f"invoices/{invoice_a.pk}/cancel")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["type_code"] == 384 and body["preceding_id"] == invoice_a.pk
    assert body["gross_total"] == "-1122.77" and body["number"] != invoice_a.number
    assert api.get(f"invoices/{invoice_a.pk}").json()["state"] == "cancelled"
    assert api.post(f"invoices/{invoice_a.pk}/cancel").status_code == 422


def test_r1_1_partner_sees_only_its_own_invoices_outsider_and_other_staff_get_404(world, billed, api_as):
    invoice_a, invoice_b = billed
    for owner in (api_as(Role.PARTNER_ADMIN), api_as(Role.L1_AGENT)):  # the owner and a colleague
        assert [item["id"] for item in owner.get("invoices").json()["items"]] == [invoice_a.pk]
        assert owner.get(f"invoices/{invoice_a.pk}").status_code == 200
        assert owner.get(f"invoices/{invoice_b.pk}").status_code == 404
        assert owner.post(f"invoices/{invoice_a.pk}/cancel").status_code == 404
        assert owner.post("billing-runs", {"period": last_month().key}).status_code == 404
    outsider = api_as(world.outsider[Role.PARTNER_ADMIN])
    assert outsider.get(f"invoices/{invoice_a.pk}").status_code == 404
    assert outsider.get("invoices").json()["items"][0]["id"] == invoice_b.pk
    for role in (Role.SALES, Role.L2_AGENT, Role.L3_ENGINEER):
        api = api_as(role)
        assert api.get("invoices").json()["items"] == []
        assert api.get(f"invoices/{invoice_a.pk}").status_code == 404
        assert api.get("billing-runs").status_code == 404
    assert Invoice.objects.count() == 2


def test_r4_7_invoiced_entry_is_corrected_by_a_new_entry_billed_by_the_next_run(world, seller, api_as):
    period = last_month()
    contract = contract_from(world, "S", world.partner_a, period.start)
    ticket = ticket_of(contract)
    entry = work(world, ticket, 15, period.start + timedelta(days=1))
    run_period(period)
    api = api_as(Role.L2_AGENT)
    assert api.patch(f"tickets/{ticket.pk}/time-entries/{entry.pk}", {"minutes": 30}).status_code == 422
    response = api.post(f"time-entries/{entry.pk}/corrections", {"minutes": 15, "text": "call was longer"})
    assert response.status_code == 201, response.content
    assert response.json()["corrects_id"] == entry.pk and response.json()["invoiced_at"] is None
    run_period(period)
    latest = Invoice.objects.order_by("sequence").last()
    assert str(latest.net_total) == "37.25"  # R4.5: the second unit of the first hour


def test_r4_3_contract_time_entries_and_the_preview_route(world, seller, api_as):
    period = last_month()
    contract = contract_from(world, "L", world.partner_a, period.start)
    ticket = ticket_of(contract)
    work(world, ticket, 30, period.start + timedelta(days=1))
    api = api_as(Role.L2_AGENT)
    assert len(api.get(f"contracts/{contract.pk}/time-entries").json()["items"]) == 1
    payload = {"started_at": (period.start + timedelta(days=2)).isoformat() + "T10:00:00+01:00", "minutes": 20}
    preview = api.post(f"tickets/{ticket.pk}/time-entries/preview", payload)
    quote = api.post(f"tickets/{ticket.pk}/time-entries/quote", payload)
    assert preview.status_code == 200 and preview.json() == quote.json()
    outsider = api_as(world.outsider[Role.PARTNER_ADMIN])
    assert outsider.get(f"contracts/{contract.pk}/time-entries").status_code == 404


def test_r10_4_a_run_left_running_by_a_dead_worker_is_picked_up_again(world, seller):
    from django.utils import timezone

    from partnerdesk.billing.models import BillingRun

    period = last_month()
    contract_from(world, "M", world.partner_a, period.start)
    stale = BillingRun.objects.create(
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        state="running",
        started_at=timezone.now() - timedelta(minutes=11),
    )
    fresh = BillingRun.objects.create(
        period=period.key, period_start=period.start, period_end=period.end, state="running", started_at=timezone.now()
    )
    assert run_queued_billing_runs() == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, stale.invoices_issued, fresh.state) == ("done", 1, "running")
