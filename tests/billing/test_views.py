"""Invoicing pages: invoice data forms with field errors in German and English (R13.1, R12.1), billing
runs, invoices and the cancel button; the command line run (R12.4)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.billing.models import BillingRun, BillingSettings, Invoice, PartnerBillingProfile

from .conftest import contract_from, last_month, run_period

pytestmark = pytest.mark.django_db

BACKEND = "partnerdesk.accounts.backends.OrganisationAwareBackend"


def page_as(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user, backend=BACKEND)
    return client


SETTINGS_FORM = {
    "name": "TUXGUARD GmbH",
    "street": "Hafenstraße 1",
    "postal_code": "20457",
    "city": "Hamburg",
    "country": "DE",
    "vat_id": "DE136695976",
    "tax_number": "",
    "iban": "DE02 1203 0000 0000 2020 51",
    "bic": "BYLADEM1001",
    "bank_name": "DKB",
    "payment_terms_days": "30",
    "contact_name": "Buchhaltung",
    "contact_phone": "+49 40 123",
    "contact_email": "billing@tuxguard.example",
    "electronic_address": "billing@tuxguard.example",
    "series": "RE",
}


def test_r10_6_billing_saves_the_vendors_invoice_data(world):
    response = page_as(world.user(Role.BILLING)).post("/billing/settings/", SETTINGS_FORM)
    assert response.status_code == 302
    row = BillingSettings.current()
    assert (row.iban, row.payment_terms_days, row.vat_id) == ("DE02120300000000202051", 30, "DE136695976")


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter a valid EU VAT ID"), ("de", "Geben Sie eine gültige USt-IdNr. ein")],
)
def test_r13_1_invalid_vat_id_is_named_in_german_and_english(world, language, message):
    response = page_as(world.user(Role.BILLING), language).post(
        "/billing/settings/", {**SETTINGS_FORM, "vat_id": "DE123", "iban": "DE00 1111"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert BillingSettings.current().iban == ""


def test_r1_1_invoice_data_page_is_404_for_everyone_but_billing_staff(world):
    for role in (Role.SALES, Role.L2_AGENT, Role.PARTNER_ADMIN, Role.L1_AGENT):
        assert page_as(world.user(role)).get("/billing/settings/").status_code == 404
    assert page_as(world.user(Role.VENDOR_ADMIN)).get("/billing/settings/").status_code == 200


def test_r2_3_partner_admin_edits_its_billing_data_vat_id_checked(world):
    client = page_as(world.user(Role.PARTNER_ADMIN))
    url = f"/partners/{world.partner_a.pk}/billing/"
    data = {"legal_name": "Nordlicht Systemhaus GmbH", "country": "AT", "vat_id": "ATU1358562"}
    response = client.post(url, data)
    assert response.status_code == 200 and "Enter a valid EU VAT ID" in response.content.decode()
    response = client.post(url, {**data, "vat_id": "ATU 13585627", "buyer_reference": "04011000-1234512345-06"})
    assert response.status_code == 302
    assert PartnerBillingProfile.objects.get(partner=world.partner_a).vat_id == "ATU13585627"
    outsider = page_as(world.outsider[Role.PARTNER_ADMIN])
    assert outsider.get(url).status_code == 404
    assert page_as(world.user(Role.L1_AGENT)).get(url).status_code == 404
    assert "Billing data" in client.get(f"/partners/{world.partner_a.pk}/").content.decode()


def test_r10_1_billing_run_page_starts_a_run_and_shows_its_progress(world, seller):
    client = page_as(world.user(Role.BILLING))
    response = client.post("/billing/runs/", {"period": last_month().key})
    run = BillingRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/billing/runs/{run.pk}/"
    page = client.get(f"/billing/runs/{run.pk}/").content.decode()
    assert "Queued" in page and "hx-trigger" in page
    assert "Enter a month" in client.post("/billing/runs/", {"period": "11/2026"}).content.decode()


def test_r10_3_invoice_page_cancel_button_issues_the_cancellation(world, seller):
    period = last_month()
    contract_from(world, "M", world.partner_a, period.start)
    run_period(period)
    invoice = Invoice.objects.get()
    billing = page_as(world.user(Role.BILLING))
    assert "Cancel invoice" in billing.get(f"/invoices/{invoice.pk}/").content.decode()
    assert invoice.number in billing.get("/invoices/").content.decode()
    partner = page_as(world.user(Role.PARTNER_ADMIN))
    page = partner.get(f"/invoices/{invoice.pk}/").content.decode()
    assert invoice.number in page and "Cancel invoice" not in page
    assert partner.post(f"/invoices/{invoice.pk}/cancel/").status_code == 404
    response = billing.post(f"/invoices/{invoice.pk}/cancel/")
    cancellation = Invoice.objects.get(preceding=invoice)
    assert response["Location"] == f"/invoices/{cancellation.pk}/"
    assert page_as(world.outsider[Role.PARTNER_ADMIN]).get(f"/invoices/{invoice.pk}/").status_code == 404


def test_r12_4_billing_run_command_shows_progress_and_dry_run(world, seller):
    period = last_month()
    contract_from(world, "M", world.partner_a, period.start + timedelta(days=1))
    out = StringIO()
    call_command("billing", "run", "--period", period.key, "--dry-run", stdout=out)
    assert "would issue" in out.getvalue() and "593.81" in out.getvalue()
    assert Invoice.objects.count() == 0
    out = StringIO()
    call_command("billing", "run", "--period", period.key, stdout=out)
    assert "[1/1]" in out.getvalue() and "RE-000001" in out.getvalue()
    assert Invoice.objects.count() == 1
