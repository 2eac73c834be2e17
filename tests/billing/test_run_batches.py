"""The billing run issues partners in batches (R10.4): its statements do not grow with the partner
count, a batch is issued whole or not at all, and the result does not depend on the batch size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from partnerdesk.billing import services
from partnerdesk.billing.models import BilledItem, Invoice

from .conftest import contract_from, last_month, new_partner, run_period, ticket_of, work


def _partners_with_work(world, count: int, prefix: str) -> None:
    period = last_month()
    for i in range(count):
        partner = new_partner(f"{prefix} {i:02d}")
        for code in ("M", "S"):
            contract = contract_from(world, code, partner, period.start)
            for k in range(2):
                work(world, ticket_of(contract, f"Ticket {k}"), 300 + 15 * k, period.start + timedelta(days=3 + k))


def _statements_of_a_run() -> int:
    with CaptureQueriesContext(connection) as queries:
        run = run_period(last_month())
    assert run.state == "done", run.error
    return len(queries)


@override_settings(PARTNERDESK_BILLING_BATCH_PARTNERS=100)
def test_r10_4_a_batch_costs_the_same_statements_for_two_partners_and_for_six(world, seller):
    _partners_with_work(world, 1, "First")
    _statements_of_a_run()  # the series' counter row is created by the first invoice ever
    _partners_with_work(world, 2, "Small")
    small = _statements_of_a_run()  # the earlier partners are looked at too: they have nothing left
    assert Invoice.objects.count() == 3
    _partners_with_work(world, 6, "Large")
    large = _statements_of_a_run()
    assert Invoice.objects.count() == 9
    assert large == small, f"statements grew with the partners: {small} for 2, {large} for 6"


def test_r10_4_batch_size_does_not_change_what_is_issued(world, seller):
    _partners_with_work(world, 5, "Batch")
    with override_settings(PARTNERDESK_BILLING_BATCH_PARTNERS=2):
        run = run_period(last_month())
    assert run.state == "done" and run.partners_done == 5 and run.invoices_issued == 5
    by_two = sorted((inv.partner.name, inv.sequence, inv.net_cents) for inv in Invoice.objects.all())
    assert [seq for _name, seq, _net in by_two] == [1, 2, 3, 4, 5]
    # Each entry is billed once and each invoice bills exactly the entries of its own partner.
    for invoice in Invoice.objects.all():
        partner_ids = set(
            BilledItem.objects.filter(invoice=invoice, time_entry__isnull=False).values_list(
                "time_entry__contract__partner_id", flat=True
            )
        )
        assert partner_ids == {invoice.partner_id}
    assert BilledItem.objects.filter(time_entry__isnull=False).count() == 5 * 2 * 2


def test_r10_4_a_failing_batch_issues_nothing_of_it(world, seller, monkeypatch):
    _partners_with_work(world, 3, "Whole")

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection")

    monkeypatch.setattr(services.InvoiceEvent.objects, "bulk_create", broken)
    run = run_period(last_month())
    assert run.state == "failed" and "lost connection" in run.error
    assert not Invoice.objects.exists() and not BilledItem.objects.exists()
    monkeypatch.undo()
    rerun = run_period(last_month())
    assert rerun.state == "done" and Invoice.objects.count() == 3
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2, 3]


@pytest.mark.parametrize("size", [1, 3])
def test_r10_1_batched_totals_equal_one_invoice_at_a_time(world, seller, size):
    _partners_with_work(world, 3, "Equal")
    period = last_month()
    with override_settings(PARTNERDESK_BILLING_BATCH_PARTNERS=size):
        run_period(period)
    totals = {inv.partner.name: inv.gross_cents for inv in Invoice.objects.all()}
    # M: 499.00 fee; 300+315 min = 41 units, 16 included, 25 extra at 24.75. S: 20 + 21 units charged
    # per ticket: 4 at 37.25 then 32.25 each.
    m = 49_900 + 25 * 2_475
    s = (4 * 3_725 + 16 * 3_225) + (4 * 3_725 + 17 * 3_225)
    net = m + s
    expected = net + (net * 19 + 50) // 100
    assert totals == {f"Equal {i:02d}": expected for i in range(3)}
