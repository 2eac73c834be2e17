"""An issued invoice as the fields of the invoice documents (R10.5, R10.6): read from its snapshot only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.billing import services
from partnerdesk.billing.document_data import document_fields
from partnerdesk.billing.models import BillingSettings

from .conftest import contract_from, invoice_of, last_month, new_partner, run_period, ticket_of, work

pytestmark = pytest.mark.django_db

DOCUMENT = [
    "number",
    "type_code",
    "issue_date",
    "due_date",
    "currency",
    "seller",
    "buyer",
    "buyer_reference",
    "period_start",
    "period_end",
    "lines",
    "preceding_number",
    "preceding_issue_date",
    "payment_iban",
    "payment_bic",
    "bank_name",
    "payment_terms",
    "notes",
    "language",
]
PARTY = [
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_id",
    "tax_number",
    "email",
    "electronic_address",
    "contact_name",
    "contact_phone",
    "contact_email",
]
LINE = [
    "number",
    "description",
    "quantity",
    "unit_code",
    "unit_price",
    "vat_category",
    "vat_rate",
    "service_start",
    "service_end",
    "note",
]


def test_r10_6_document_fields_come_from_the_snapshot_not_from_live_rows(world, seller):
    period = last_month()
    partner = new_partner("Dokument GmbH")
    contract = contract_from(world, "L", partner, period.start)
    work(world, ticket_of(contract), 510, period.start + timedelta(days=1))
    run_period(period)
    invoice = invoice_of(partner)
    BillingSettings.objects.filter(pk=seller.pk).update(name="Renamed later")

    fields = document_fields(invoice)

    assert list(fields) == DOCUMENT
    assert list(fields["seller"]) == PARTY and list(fields["buyer"]) == PARTY
    assert all(list(line) == LINE for line in fields["lines"])
    assert fields["seller"]["name"] == "TUXGUARD GmbH" and fields["buyer"]["name"] == "Dokument GmbH"
    assert fields["type_code"] == 380 and fields["preceding_number"] == ""
    assert [(x["quantity"], x["unit_price"]) for x in fields["lines"]] == [
        (Decimal("1"), Decimal("899.00")),
        (Decimal("32"), Decimal("0.00")),
        (Decimal("2"), Decimal("22.25")),
    ]
    assert fields["payment_iban"] == "DE02120300000000202051"

    cancellation = services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=invoice)
    cancelled = document_fields(cancellation)
    assert (cancelled["type_code"], cancelled["preceding_number"]) == (384, invoice.number)
    assert cancelled["preceding_issue_date"] == invoice.issued_on
    assert cancelled["lines"][0]["quantity"] == Decimal("-1")


@pytest.mark.parametrize("profile", ["en16931", "xrechnung"])
def test_r10_5_an_issued_invoice_and_its_cancellation_pass_the_official_rules(world, seller, validator, profile):
    """From the billing run to the XML: the invoice a run issued, and its cancellation, are valid e-invoices."""
    from partnerdesk.billing.cii import cii_xml
    from partnerdesk.billing.document_data import document_of
    from partnerdesk.billing.documents import totals
    from partnerdesk.billing.models import PartnerBillingProfile

    # Complete master data, as XRechnung asks it (seller contact and addresses, buyer reference, post code).
    seller.contact_name, seller.contact_phone, seller.contact_email = (
        "Rita Rechnung",
        "+49 40 555 0100",
        "r@tux.example",
    )
    seller.electronic_address = "rechnung@tux.example"
    seller.save()
    period = last_month()
    partner = new_partner("Dokument GmbH")
    PartnerBillingProfile.objects.create(
        partner=partner,
        legal_name="Dokument GmbH",
        street="Am Markt 3",
        postal_code="24103",
        city="Kiel",
        buyer_reference="04011000-12345-67",
        invoice_email="rechnung@dokument.example",
    )
    contract = contract_from(world, "L", partner, period.start)
    work(world, ticket_of(contract), 510, period.start + timedelta(days=1))
    run_period(period)
    invoice = invoice_of(partner)
    document = document_of(invoice)
    figures = totals(document)
    assert (figures.tax_basis_total, figures.vat_total, figures.grand_total) == (
        Decimal(invoice.net_total),
        Decimal(invoice.vat_total),
        Decimal(invoice.gross_total),
    )
    validator.assert_valid(cii_xml(document, profile=profile), profile)
    cancellation = services.cancel_invoice(acting_user=world.user(Role.BILLING), invoice=invoice)
    validator.assert_valid(cii_xml(document_of(cancellation), profile=profile), profile)
