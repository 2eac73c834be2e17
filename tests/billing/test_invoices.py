"""Worked invoices to the cent (R10.1, R2.3, R4.3-R4.5, R4.10), numbers (R10.2), reruns (R10.4),
immutability and cancellation (R10.3, R4.7)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from stdnum.eu import vat as eu_vat

from partnerdesk.accounts.choices import Role
from partnerdesk.billing import services
from partnerdesk.billing.choices import InvoiceState
from partnerdesk.billing.models import BilledItem, Invoice, InvoiceIsImmutable, InvoiceLine, PartnerBillingProfile
from partnerdesk.billing.selectors import contract_usage
from partnerdesk.contracts.pricing import add_months
from partnerdesk.worklog import services as worklog_services

from .conftest import (
    contract_from,
    invoice_of,
    last_month,
    line_tuples,
    new_partner,
    run_period,
    ticket_of,
    work,
)

pytestmark = pytest.mark.django_db


def vat_of(net: Decimal, rate: str) -> Decimal:
    return (net * Decimal(rate) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_r10_1_l_partner_invoice_to_the_cent(world, seller):
    period = last_month()
    partner = new_partner("Nordwind GmbH")
    contract = contract_from(world, "L", partner, period.start)
    first, second = ticket_of(contract, "VPN"), ticket_of(contract, "Mail")
    work(world, first, 450, period.start + timedelta(days=1))  # 30 units, included
    work(world, second, 50, period.start + timedelta(days=2))  # 4 units: 2 included, 2 extra
    work(world, second, 20, period.start + timedelta(days=8))  # 2 units extra

    run_period(period)

    invoice = invoice_of(partner)
    extra = 4 * Decimal("22.25")  # R4.4: a quarter of 89
    net = Decimal("899.00") + extra
    assert line_tuples(invoice) == [
        ("fee", "1.00", "899.00", "899.00"),
        ("included", "30.00", "0.00", "0.00"),
        ("included", "2.00", "0.00", "0.00"),
        ("extra", "4.00", "22.25", "89.00"),
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (
        net,
        vat_of(net, "19"),
        net + vat_of(net, "19"),
    )
    assert invoice.gross_total == Decimal("1175.72")
    extra_line = invoice.lines.get(kind="extra")
    assert (extra_line.service_start, extra_line.service_end) == (
        period.start + timedelta(days=2),
        period.start + timedelta(days=8),
    )
    assert invoice.seller["vat_id"] == "DE136695976" and invoice.buyer["name"] == "Nordwind GmbH"


def test_r10_1_m_partner_invoice_rounds_vat_half_up_on_the_sum(world, seller):
    period = last_month()
    partner = new_partner("Mittelweg IT")
    contract = contract_from(world, "M", partner, period.start)
    work(world, ticket_of(contract), 255, period.start + timedelta(days=3))  # 17 units: 16 included, 1 extra

    run_period(period)

    invoice = invoice_of(partner)
    net = Decimal("499.00") + Decimal("24.75")
    assert line_tuples(invoice) == [
        ("fee", "1.00", "499.00", "499.00"),
        ("included", "16.00", "0.00", "0.00"),
        ("extra", "1.00", "24.75", "24.75"),
    ]
    assert invoice.vat_total == vat_of(net, "19") == Decimal("99.51")  # 99.5125
    assert invoice.gross_total == Decimal("623.26")


def test_r2_3_s_partner_in_austria_with_vat_id_is_reverse_charge(world, seller):
    period = last_month()
    partner = new_partner("Donau Systeme GmbH", country="AT")
    assert eu_vat.is_valid("ATU13585627")
    PartnerBillingProfile.objects.create(
        partner=partner, legal_name="Donau Systeme GmbH", country="AT", vat_id="ATU13585627"
    )
    contract = contract_from(world, "S", partner, period.start)
    work(world, ticket_of(contract, "A"), 100, period.start + timedelta(days=4))  # 7 units: 4 x 37.25 + 3 x 32.25
    work(world, ticket_of(contract, "B"), 10, period.start + timedelta(days=5))  # 1 unit: 37.25

    run_period(period)

    invoice = invoice_of(partner)
    net = 4 * Decimal("37.25") + 3 * Decimal("32.25") + Decimal("37.25")
    assert line_tuples(invoice) == [
        ("extra", "4.00", "37.25", "149.00"),
        ("extra", "3.00", "32.25", "96.75"),
        ("extra", "1.00", "37.25", "37.25"),
    ]
    assert (invoice.net_total, invoice.vat_total, invoice.gross_total) == (net, Decimal("0.00"), net)
    assert {line.vat_category for line in invoice.lines.all()} == {"AE"}
    assert "13b" in invoice.notes[0]


def test_r3_5_invoice_across_a_term_renewal(world, seller):
    period = last_month()
    renewal = period.start + timedelta(days=14)
    partner = new_partner("Erneuerung KG")
    contract = contract_from(world, "L", partner, add_months(renewal, -12))
    run_period(type(period)(add_months(period.start, -12), add_months(period.end, -12)))
    assert line_tuples(invoice_of(partner)) == [("fee", "1.00", "899.00", "899.00")]
    ticket = ticket_of(contract)
    work(world, ticket, 480, renewal - timedelta(days=3))  # term 1: its 32 units, included
    work(world, ticket, 15, renewal - timedelta(days=2))  # term 1: 1 unit extra
    work(world, ticket, 60, renewal + timedelta(days=1))  # term 2: 4 fresh included units

    run_period(period)

    second = Invoice.objects.filter(partner=partner).order_by("sequence").last()
    net = Decimal("899.00") + Decimal("22.25")
    assert line_tuples(second) == [
        ("fee", "1.00", "899.00", "899.00"),
        ("included", "36.00", "0.00", "0.00"),
        ("extra", "1.00", "22.25", "22.25"),
    ]
    fee_line = second.lines.get(kind="fee")
    assert fee_line.service_start == renewal and fee_line.term.index == 1
    assert (second.net_total, second.vat_total, second.gross_total) == (net, Decimal("175.04"), Decimal("1096.29"))


def test_r10_7_preview_says_what_the_invoice_then_says(world, seller):
    period = last_month()
    partner = new_partner("Vorschau AG")
    contract = contract_from(world, "L", partner, period.start)
    ticket = ticket_of(contract)
    work(world, ticket, 495, period.start + timedelta(days=1))  # 33 units: 32 included, 1 extra
    preview = contract_usage(contract, at=period.end).next_invoice
    run_period(period)
    invoice = invoice_of(partner)
    assert [(p.quantity, p.unit_price, p.amount) for p in preview.lines] == [
        (int(line.quantity), line.unit_price, line.net) for line in invoice.lines.order_by("position")
    ]
    assert preview.total == invoice.net_total
    assert contract_usage(contract, at=period.end).next_invoice.lines == []


def test_r10_4_rerun_bills_nothing_twice_and_later_bookings_go_on_the_next_run(world, seller):
    period = last_month()
    partner = new_partner("Zweimal GmbH")
    contract = contract_from(world, "S", partner, period.start)
    ticket = ticket_of(contract)
    work(world, ticket, 15, period.start + timedelta(days=1))
    first = run_period(period)
    again = run_period(period)
    assert (first.invoices_issued, again.invoices_issued) == (1, 0)
    work(world, ticket, 15, period.start + timedelta(days=2))  # booked after the run, work in the period
    third = run_period(period)
    assert third.invoices_issued == 1
    amounts = sorted(inv.net_total for inv in Invoice.objects.filter(partner=partner))
    assert amounts == [Decimal("37.25"), Decimal("37.25")]  # R4.5: 2nd unit of the first hour, 37.25 again
    assert BilledItem.objects.filter(time_entry__isnull=False).count() == 2


def test_r10_4_dry_run_issues_nothing_and_shows_what_would_be_issued(world, seller):
    period = last_month()
    partner = new_partner("Trocken GmbH")
    contract = contract_from(world, "M", partner, period.start)
    run = run_period(period, dry_run=True)
    assert Invoice.objects.count() == 0
    assert run.state == "done"
    assert [(p["partner_id"], p["net_total"], p["gross_total"]) for p in run.preview] == [
        (partner.pk, "499.00", "593.81")
    ]
    assert contract.terms.filter(fee_invoiced_at__isnull=False).count() == 0


def test_r10_2_numbers_are_consecutive_per_series_without_gaps(world, seller):
    period = last_month()
    partners = [new_partner(f"Partner {i}") for i in range(3)]
    for partner in partners:
        contract_from(world, "M", partner, period.start)
    run_period(period)
    services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=invoice_of(partners[1]))
    sequences = list(Invoice.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == [1, 2, 3, 4]
    assert list(Invoice.objects.order_by("sequence").values_list("number", flat=True))[0] == "RE-000001"


def test_r10_3_cancellation_negates_lines_refers_to_the_original_and_has_its_own_number(world, seller):
    period = last_month()
    partner = new_partner("Storno GmbH")
    contract = contract_from(world, "L", partner, period.start)
    work(world, ticket_of(contract), 500, period.start + timedelta(days=1))
    run_period(period)
    original = invoice_of(partner)

    cancellation = services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=original)

    original.refresh_from_db()
    assert original.state == InvoiceState.CANCELLED
    assert cancellation.type_code == 384 and cancellation.preceding_id == original.pk
    assert cancellation.number != original.number and cancellation.sequence == original.sequence + 1
    assert cancellation.gross_cents == -original.gross_cents and cancellation.vat_cents == -original.vat_cents
    assert [(-x.quantity, -x.net_cents) for x in cancellation.lines.order_by("position")] == [
        (x.quantity, x.net_cents) for x in original.lines.order_by("position")
    ]
    assert original.number in cancellation.notes[0]
    assert list(original.events.values_list("kind", flat=True)) == ["issued", "cancelled"]
    assert list(cancellation.events.values_list("kind", "actor")) == [("issued", world.user(Role.BILLING).pk)]
    with pytest.raises(ValidationError):
        services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=original)
    with pytest.raises(ValidationError):
        services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=cancellation)


@override_settings(PARTNERDESK_CANCELLATION_TYPE_CODE=381)
def test_r10_3_cancellation_as_credit_note_is_a_setting(world, seller):
    period = last_month()
    partner = new_partner("Gutschrift GmbH")
    contract_from(world, "M", partner, period.start)
    run_period(period)
    cancellation = services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=invoice_of(partner))
    assert cancellation.type_code == 381


def test_r10_3_issued_invoices_and_lines_never_change(world, seller):
    period = last_month()
    partner = new_partner("Fest GmbH")
    contract_from(world, "M", partner, period.start)
    run_period(period)
    invoice = invoice_of(partner)
    with pytest.raises(InvoiceIsImmutable):
        Invoice.objects.filter(pk=invoice.pk).update(net_cents=1)
    with pytest.raises(InvoiceIsImmutable):
        Invoice.objects.filter(pk=invoice.pk).delete()
    with pytest.raises(InvoiceIsImmutable):
        InvoiceLine.objects.filter(invoice=invoice).update(net_cents=1)
    with pytest.raises(InvoiceIsImmutable):
        InvoiceLine.objects.filter(invoice=invoice).delete()
    invoice.net_cents = 1
    with pytest.raises(InvoiceIsImmutable):
        invoice.save()
    with pytest.raises(InvoiceIsImmutable):
        invoice.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_r10_3_database_refuses_raw_changes_of_issued_invoices(world, seller):
    from django.db import DatabaseError, transaction

    period = last_month()
    partner = new_partner("Trigger GmbH")
    contract_from(world, "M", partner, period.start)
    run_period(period)
    invoice = invoice_of(partner)
    for sql in (
        "UPDATE billing_invoice SET net_cents = 1 WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET net_cents = 1 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
        "UPDATE billing_invoice SET state = 'cancelled', net_cents = 2 WHERE id = %s",
        "DELETE FROM billing_invoiceevent WHERE invoice_id = %s",
        "DELETE FROM billing_billeditem WHERE invoice_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [invoice.pk])


def test_r4_7_invoiced_entry_can_no_longer_be_changed_or_deleted(world, seller):
    period = last_month()
    partner = new_partner("Gesperrt GmbH")
    contract = contract_from(world, "S", partner, period.start)
    entry = work(world, ticket_of(contract), 30, period.start + timedelta(days=1))
    run_period(period)
    agent = world.user(Role.L2_AGENT)
    with pytest.raises(ValidationError, match="invoiced"):
        worklog_services.correct_time_entry(acting_user=agent, entry=entry, minutes=15)
    with pytest.raises(ValidationError, match="invoiced"):
        worklog_services.delete_time_entry(acting_user=agent, entry=entry)
    with pytest.raises(ValidationError, match="invoiced"):
        worklog_services.set_entry_billable(acting_user=world.user(Role.VENDOR_ADMIN), entry=entry, billable=False)
