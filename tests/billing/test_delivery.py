"""R10.5, R10.6, R10.8: after issuing, the worker renders the documents once, stores them and mails them."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.billing import delivery
from partnerdesk.billing.models import InvoiceFile, InvoiceIsImmutable, PartnerBillingProfile
from partnerdesk.outbox.delivery import build_message
from partnerdesk.outbox.models import OutboxMessage
from tests.factories import partner_user

from .conftest import contract_from, invoice_of, last_month, new_partner, run_period, ticket_of, work

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world, seller):
    seller.contact_name, seller.contact_phone, seller.contact_email = "Rita Rechnung", "+49 40 5550100", "r@tux.example"
    seller.electronic_address = "rechnung@tux.example"
    seller.save()
    period = last_month()
    partner = new_partner("Versand GmbH")
    PartnerBillingProfile.objects.create(
        partner=partner,
        legal_name="Versand GmbH",
        street="Am Markt 3",
        postal_code="24103",
        city="Kiel",
        buyer_reference="04011000-12345-67",
        invoice_email="rechnung@versand.example",
        wants_xrechnung=True,
    )
    contract = contract_from(world, "L", partner, period.start)
    work(world, ticket_of(contract), 510, period.start + timedelta(days=1))
    run_period(period)
    return invoice_of(partner)


def test_r10_6_documents_are_rendered_once_stored_and_mailed_once(issued, validator):
    assert not issued.files.exists()  # the run only issued; nothing rendered in its transaction
    assert delivery.deliver_pending() == 1
    assert delivery.deliver_pending() == 0  # done: a second round renders and mails nothing
    pdf = InvoiceFile.objects.get(invoice=issued, kind="pdf")
    xml = InvoiceFile.objects.get(invoice=issued, kind="xrechnung")
    assert bytes(pdf.content).startswith(b"%PDF") and pdf.sha256 == hashlib.sha256(bytes(pdf.content)).hexdigest()
    validator.assert_valid(bytes(xml.content), "xrechnung")
    (mail,) = OutboxMessage.objects.filter(kind="invoice")
    assert mail.to == ["rechnung@versand.example"] and issued.number in mail.subject
    sent = message_from_bytes(build_message(mail).message().as_bytes(), policy=policy.default)
    attached = {part.get_filename(): part.get_content() for part in sent.iter_attachments()}
    assert attached == {
        f"{issued.number}.pdf": bytes(pdf.content),
        f"{issued.number}-xrechnung.xml": bytes(xml.content),
    }


def test_r10_6_a_stored_document_never_changes(issued):
    delivery.deliver_pending()
    with pytest.raises(InvoiceIsImmutable):
        InvoiceFile.objects.filter(invoice=issued).update(content=b"other")
    with pytest.raises(InvoiceIsImmutable):
        InvoiceFile.objects.filter(invoice=issued).delete()


def test_r10_5_the_api_serves_the_stored_bytes_to_billing_and_the_partner(issued, world, api_as):
    billing = api_as(Role.BILLING)
    first = billing.get(f"invoices/{issued.pk}/pdf")  # before the worker: rendered and stored now
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    stored = InvoiceFile.objects.get(invoice=issued, kind="pdf")
    assert first.content == bytes(stored.content)
    assert delivery.deliver_pending() == 0  # already there: not rendered or mailed twice
    partner_admin = api_as(partner_user(issued.partner, Role.PARTNER_ADMIN, email="admin@versand.example"))
    assert partner_admin.get(f"invoices/{issued.pk}/pdf").content == bytes(stored.content)
    xml = billing.get(f"invoices/{issued.pk}/xrechnung")
    assert (
        xml.status_code == 200 and xml["Content-Type"] == "application/xml" and b"CrossIndustryInvoice" in xml.content
    )
    assert api_as(Role.L2_AGENT).get(f"invoices/{issued.pk}/pdf").status_code == 404


def test_r10_5_the_period_export_is_csv_for_accounting(issued, api_as):
    period = issued.period
    response = api_as(Role.BILLING).get(f"invoices/export?period={period}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert issued.number in text and ";" in text
    assert api_as(Role.BILLING).get("invoices/export?period=2026-13").status_code == 422
    assert api_as(Role.L1_AGENT).get(f"invoices/export?period={period}").status_code in (403, 404)


def test_r10_6_a_failure_while_storing_leaves_neither_documents_nor_mail(issued, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("outbox away")

    monkeypatch.setattr(delivery, "enqueue", broken)
    assert delivery.deliver_pending() == 0  # logged, tried again next round
    assert not InvoiceFile.objects.filter(invoice=issued).exists()
    assert not OutboxMessage.objects.filter(kind="invoice").exists()
    monkeypatch.undo()
    assert delivery.deliver_pending() == 1 and OutboxMessage.objects.filter(kind="invoice").count() == 1


def test_r10_5_the_partners_language_and_choice_of_xrechnung(world, seller):
    period = last_month()
    partner = new_partner("English Ltd")
    PartnerBillingProfile.objects.create(
        partner=partner, legal_name="English Ltd", invoice_email="ap@english.example", language="en"
    )
    work(world, ticket_of(contract_from(world, "L", partner, period.start)), 120, period.start + timedelta(days=2))
    run_period(period)
    invoice = invoice_of(partner)
    assert invoice.language == "en"
    delivery.deliver_pending()
    (mail,) = OutboxMessage.objects.filter(kind="invoice")
    assert mail.subject == f"Invoice {invoice.number}" and "attached is invoice" in mail.body
    # Not asked for XRechnung: the mail carries the Factur-X PDF only (the XML stays downloadable).
    assert [part["filename"] for part in mail.attachments] == [f"{invoice.number}.pdf"]
    assert InvoiceFile.objects.filter(invoice=invoice).count() == 2
