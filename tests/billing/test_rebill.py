"""A cancellation can release the invoice's work to be billed again (R10.3, R4.7): the over-long entry
is then corrected in place and a run for the partner issues the corrected invoice with its own number.
The database refuses a second billing of the same work without such a cancellation in between."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from partnerdesk.accounts.choices import Role
from partnerdesk.billing import services
from partnerdesk.billing.choices import InvoiceState
from partnerdesk.billing.models import BilledItem, Invoice
from partnerdesk.worklog import services as worklog_services

from .conftest import contract_from, last_month, new_partner, run_period, ticket_of, work

pytestmark = pytest.mark.django_db


def _m_partner_with_an_overlong_entry(world, name: str):
    """An M partner billed for last month: fee 499.00, 600 minutes = 40 units, 16 included, 24 extra."""
    period = last_month()
    partner = new_partner(name)
    contract = contract_from(world, "M", partner, period.start)
    entry = work(world, ticket_of(contract), 600, period.start + timedelta(days=2))
    run_period(period)
    return partner, entry, Invoice.objects.get(partner=partner, type_code=380)


def test_r10_3_cancel_with_rebill_then_correct_the_entry_and_issue_the_corrected_invoice(world, seller):
    partner, entry, original = _m_partner_with_an_overlong_entry(world, "Zu lang GmbH")
    assert original.net_cents == 49_900 + 24 * 2_475
    billing = world.user(Role.BILLING)

    cancellation = services.cancel_invoice(acting_user=billing, invoice=original, rebill=True)

    assert cancellation.gross_cents == -original.gross_cents
    entry.refresh_from_db()
    assert entry.invoiced_at is None and entry.billing_round == 1
    # Released work is editable again (R4.7 locks only invoiced entries): 600 minutes were 420.
    worklog_services.correct_time_entry(acting_user=world.user(Role.L2_AGENT), entry=entry, minutes=420)
    run = services.start_billing_run(acting_user=billing, period=last_month().key, partner=partner)
    run = services.execute_billing_run(run)
    assert run.state == "done" and run.partners_total == 1 and run.invoices_issued == 1

    corrected = Invoice.objects.filter(partner=partner, type_code=380).exclude(pk=original.pk).get()
    assert corrected.sequence == cancellation.sequence + 1 and corrected.state == InvoiceState.ISSUED
    # 420 minutes = 28 units: 16 included, 12 extra at 24.75; the term's fee billed again too.
    assert corrected.net_cents == 49_900 + 12 * 2_475
    assert sorted(BilledItem.objects.filter(time_entry=entry).values_list("invoice_id", "round")) == [
        (original.pk, 0),
        (corrected.pk, 1),
    ]
    # Billed once in the new round: another run finds nothing.
    assert run_period(last_month()).invoices_issued == 0
    assert list(original.events.values_list("kind", flat=True)) == ["issued", "cancelled"]
    assert original.events.get(kind="cancelled").details["released"] == {"entries": 1, "fees": 1}


def test_r10_3_cancel_without_rebill_keeps_the_work_invoiced_and_locked(world, seller):
    partner, entry, original = _m_partner_with_an_overlong_entry(world, "Bleibt GmbH")
    services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=original)
    entry.refresh_from_db()
    assert entry.invoiced_at is not None and entry.billing_round == 0
    assert run_period(last_month()).invoices_issued == 0


def test_r10_4_database_refuses_billing_an_entry_twice_in_one_round(world, seller):
    partner, entry, original = _m_partner_with_an_overlong_entry(world, "Doppelt GmbH")
    with pytest.raises(IntegrityError), transaction.atomic():
        BilledItem.objects.create(invoice=original, time_entry=entry, round=0)
    term = entry.term
    with pytest.raises(IntegrityError), transaction.atomic():
        BilledItem.objects.create(invoice=original, term=term, round=0)


def test_r10_3_rebill_over_the_api_and_a_run_for_one_partner(world, seller, api_as):
    period = last_month()
    partner_a, entry, original = _m_partner_with_an_overlong_entry(world, "API Zu lang GmbH")
    other = new_partner("Andere GmbH")
    contract_from(world, "M", other, period.start)
    api = api_as(Role.BILLING)
    response = api.post(f"invoices/{original.pk}/cancel", {"rebill": True})
    assert response.status_code == 201, response.content
    assert api.post(f"invoices/{original.pk}/cancel", {"rebill": "yes"}).status_code == 422
    started = api.post("billing-runs", {"period": period.key, "partner": partner_a.pk})
    assert started.status_code == 202 and started.json()["partner_id"] == partner_a.pk
    assert api.post("billing-runs", {"period": period.key, "partner": 999_999}).status_code == 404
    services.run_queued_billing_runs()
    assert Invoice.objects.filter(partner=partner_a, type_code=380).count() == 2
    assert not Invoice.objects.filter(partner=other).exists()  # the other partner waits for the full run
