"""A partner who asked for XRechnung is invoiced only when the master data an XRechnung needs is there
(R10.6, BR-DE-1 to BR-DE-16, BT-34/BT-49): otherwise the run holds it back and says what is missing,
and the next run bills it once the data is filled in. Partner data is checked when it is saved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from partnerdesk.accounts.choices import Role
from partnerdesk.billing import services
from partnerdesk.billing.documents import xrechnung_gaps
from partnerdesk.billing.models import Invoice, PartnerBillingProfile

from .conftest import contract_from, last_month, new_partner, run_period, ticket_of, work

pytestmark = pytest.mark.django_db

SELLER = {
    "name": "TUXGUARD GmbH",
    "street": "Hafenstraße 1",
    "postal_code": "20457",
    "city": "Hamburg",
    "country": "DE",
    "vat_id": "DE136695976",
    "tax_number": "",
    "contact_name": "Rita Rechnung",
    "contact_phone": "+49 40 5550100",
    "contact_email": "r@tux.example",
    "electronic_address": "",
}
BUYER = {
    "name": "Versand GmbH",
    "postal_code": "24103",
    "city": "Kiel",
    "country": "DE",
    "buyer_reference": "04011000-12345-67",
    "email": "rechnung@versand.example",
}


def test_r10_6_complete_master_data_has_no_gaps():
    assert xrechnung_gaps(SELLER, BUYER, iban="DE02120300000000202051") == []


def test_r10_6_each_missing_field_is_named():
    seller = {**SELLER, "vat_id": "", "contact_phone": "", "contact_email": ""}
    buyer = {**BUYER, "buyer_reference": "", "email": ""}
    assert xrechnung_gaps(seller, buyer, iban="") == [
        "seller.contact_phone",
        "seller.contact_email",
        "seller.vat_id",
        "seller.electronic_address",
        "seller.iban",
        "buyer.buyer_reference",
        "buyer.email",
    ]
    assert xrechnung_gaps({**SELLER, "vat_id": "", "tax_number": "22/815/08154"}, BUYER, iban="DE02") == []


def _xrechnung_partner(world, name: str, **profile) -> object:
    period = last_month()
    partner = new_partner(name)
    PartnerBillingProfile.objects.create(
        partner=partner,
        legal_name=name,
        street="Am Markt 3",
        postal_code="24103",
        city="Kiel",
        invoice_email="rechnung@versand.example",
        wants_xrechnung=True,
        **profile,
    )
    contract = contract_from(world, "S", partner, period.start)
    work(world, ticket_of(contract), 60, period.start + timedelta(days=1))
    return partner


def test_r10_6_run_holds_back_a_partner_whose_xrechnung_would_lack_data_and_bills_it_later(world, seller):
    seller.contact_name, seller.contact_phone, seller.contact_email = "Rita Rechnung", "+49 40 5550100", "r@tux.example"
    seller.save()
    lacking = _xrechnung_partner(world, "Ohne Leitweg GmbH", buyer_reference="")
    complete = _xrechnung_partner(world, "Mit Leitweg GmbH", buyer_reference="04011000-12345-67")
    plain = new_partner("PDF genügt GmbH")  # no XRechnung asked for: billed whatever its data
    contract = contract_from(world, "S", plain, last_month().start)
    work(world, ticket_of(contract), 60, last_month().start + timedelta(days=1))

    dry = run_period(last_month(), dry_run=True)
    previews = {item["partner"]: item["held_back"] for item in dry.preview}
    assert previews["Ohne Leitweg GmbH"] == ["Partner billing data: buyer reference"]
    assert previews["Mit Leitweg GmbH"] == [] and previews["PDF genügt GmbH"] == []

    run = run_period(last_month())
    assert run.state == "done" and run.invoices_issued == 2
    assert [(item["partner_id"], item["missing"]) for item in run.held_back] == [
        (lacking.pk, ["buyer.buyer_reference"])
    ]
    assert set(Invoice.objects.values_list("partner_id", flat=True)) == {complete.pk, plain.pk}

    PartnerBillingProfile.objects.filter(partner=lacking).update(buyer_reference="04011000-99999-12")
    again = run_period(last_month())
    assert again.invoices_issued == 1 and again.held_back == []
    assert Invoice.objects.filter(partner=lacking).count() == 1


def test_r10_6_seller_data_missing_holds_back_every_xrechnung_partner(world, seller):
    seller.contact_phone = ""
    seller.save()
    _xrechnung_partner(world, "Wartet GmbH", buyer_reference="04011000-12345-67")
    run = run_period(last_month())
    assert run.invoices_issued == 0
    assert run.held_back[0]["labels"][0].startswith("Invoice data: ")


def test_r10_6_partner_data_asking_for_xrechnung_without_a_buyer_reference_is_refused(world, seller):
    partner = new_partner("Formular GmbH")
    with pytest.raises(ValidationError) as refused:
        services.update_partner_billing(
            acting_user=world.user(Role.BILLING),
            partner=partner,
            legal_name="Formular GmbH",
            postal_code="24103",
            city="Kiel",
            invoice_email="r@formular.example",
            wants_xrechnung=True,
            buyer_reference="",
        )
    assert list(refused.value.message_dict) == ["buyer_reference"]
    assert not PartnerBillingProfile.objects.filter(partner=partner).exists()
