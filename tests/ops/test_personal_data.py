"""Issue 17 item 7 (GDPR Art. 15/17, R9.4, R10.3): a partner admin exports everything stored about one contact
person and erases it; the audit chain still verifies, invoices are untouched, and nobody else may ask."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import BinaryField, CharField, JSONField, TextField
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson
from partnerdesk.channels.models import InboundMail
from partnerdesk.contact import services
from partnerdesk.contact.audit import verify_all
from partnerdesk.contact.choices import AppearAs, AuditAction, Channel
from partnerdesk.contact.gate import authorize_contact
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.outbox.delivery import deliver_due
from tests.contact.conftest import contact_world  # noqa: F401 - the fixture


def _path(world, contact) -> str:
    return f"partners/{world.partner_a.pk}/end-customers/{world.customer_a.pk}/contacts/{contact.pk}/personal-data"


@pytest.fixture
def history(contact_world):  # noqa: F811
    """The person was mailed under an authorisation, replied, and wrote to the desk's address."""
    cw = contact_world
    world, person = cw.world, cw.person
    services.grant_authorization(
        acting_user=world.users[Role.PARTNER_ADMIN],
        end_customer=world.customer_a,
        ticket=cw.ticket,
        channels=[Channel.EMAIL],
        contact_persons=[person],
        valid_until=timezone.now() + timedelta(days=3),
        appear_as=AppearAs.PARTNER,
    )
    permit = authorize_contact(
        acting_user=world.users[Role.L2_AGENT], ticket=cw.ticket, contact_person=person, channel=Channel.EMAIL
    )
    mail = send_mail_to_end_customer(permit=permit, subject="Your VPN", body=f"Dear {person.name}, call {person.phone}")
    services.record_end_customer_reply(
        ticket=cw.ticket,
        from_address=f"{person.name} <{person.email}>",
        subject="Re: Your VPN",
        body=f"Thanks.\n{person.name}\n{person.phone}",
        message_id="<reply-17@customer.example>",
        in_reply_to=mail.message_id,
    )
    InboundMail.objects.create(
        message_id="<original-17@customer.example>",
        source="imap",
        from_name=person.name,
        from_address=person.email,
        subject="VPN again",
        text=f"{person.name} here",
        raw=f"From: {person.name} <{person.email}>\r\n\r\n{person.phone}".encode(),
        outcome="ticket",
        partner=world.partner_a,
        ticket=cw.ticket,
    )
    deliver_due()
    return cw


def _values_anywhere(values: list[str]) -> list[str]:
    """Every table and text column holding one of the values (all models, found from the model)."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label == "contact" and model.__name__ == "AuditEntry":
            continue  # checked on its own: it must not change
        for field in model._meta.concrete_fields:
            if not isinstance(field, CharField | TextField | JSONField | BinaryField):
                continue
            for value in values:
                if isinstance(field, BinaryField):
                    rows = [bytes(v or b"") for v in model._default_manager.values_list(field.attname, flat=True)]
                    hit = any(value.encode() in row for row in rows)
                elif isinstance(field, JSONField):
                    hit = any(value in str(v) for v in model._default_manager.values_list(field.attname, flat=True))
                else:
                    hit = model._default_manager.filter(**{f"{field.attname}__icontains": value}).exists()
                if hit:
                    found.append(f"{model._meta.label}.{field.name}")
    return found


@pytest.mark.django_db
def test_gdpr_art_15_the_partner_admin_exports_everything_about_the_person(history, api_as):
    world, person = history.world, history.person
    response = api_as(Role.PARTNER_ADMIN).get(_path(world, person))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["contact_person"] == {
        "id": person.pk,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
    }
    assert {m["direction"] for m in data["end_customer_mails"]} == {"out", "in"}
    assert data["received_mail"][0]["from_address"] == person.email
    assert data["outbound_mail"] and data["authorizations"]
    assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED).count() == 1


@pytest.mark.django_db
def test_gdpr_only_the_partners_admin_may_ask(history, api_as):
    """Owner admin 200; a colleague of another role 403; an outsider's admin 404 (R1.3); the vendor 403."""
    world, person = history.world, history.person
    assert api_as(Role.L1_AGENT).get(_path(world, person)).status_code == 403
    assert api_as(Role.L1_AGENT).post(_path(world, person) + "/erase").status_code == 403
    assert api_as(world.outsider[Role.PARTNER_ADMIN]).get(_path(world, person)).status_code == 404
    assert api_as(world.outsider[Role.PARTNER_ADMIN]).post(_path(world, person) + "/erase").status_code == 404
    assert api_as(Role.VENDOR_ADMIN).post(_path(world, person) + "/erase").status_code == 403
    other = f"partners/{world.partner_a.pk}/end-customers/{world.customer_b.pk}/contacts/{person.pk}/personal-data"
    assert api_as(Role.PARTNER_ADMIN).get(other).status_code == 404
    assert ContactPerson.objects.get(pk=person.pk).email == person.email


def _billing_rows() -> list[tuple]:
    rows = []
    with connection.cursor() as cursor:
        for table in ("billing_invoice", "billing_invoiceline", "billing_invoicefile", "billing_billeditem"):
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
            rows.append(tuple(cursor.fetchall()))
    return rows


@pytest.mark.django_db
def test_gdpr_art_17_erasure_replaces_every_personal_value_and_the_chain_still_verifies(history, api_as):
    world, person, colleague = history.world, history.person, history.colleague
    values = [person.name, person.email, person.phone]
    assert _values_anywhere(values), "the history stored nothing about the person"
    audit_before = list(AuditEntry.objects.order_by("partner_id", "seq").values_list("pk", "hash"))
    billing_before = _billing_rows()
    response = api_as(Role.PARTNER_ADMIN).post(_path(world, person) + "/erase")
    assert response.status_code == 200, response.content
    erased = response.json()["erased"]
    assert erased["contact_person"] == 1 and erased["end_customer_mails"] == 2 and erased["received_mail"] >= 1
    leftovers = _values_anywhere(values)
    # Ticket texts the partner wrote stay the partner's record; the reply's text became a ticket message.
    assert [place for place in leftovers if not place.startswith("tickets.")] == [], leftovers
    # The audit log was only appended to: old rows unchanged, the erasure recorded, every chain verifies.
    after = list(AuditEntry.objects.order_by("partner_id", "seq").values_list("pk", "hash"))
    assert after[: len(audit_before)] == audit_before
    last = AuditEntry.objects.filter(partner=world.partner_a).order_by("-seq").first()
    assert last.action == AuditAction.PERSONAL_DATA_ERASED and last.detail["contact_person"] == person.pk
    assert person.email not in str(last.detail) and person.name not in str(last.detail)
    assert verify_all(None)[1] == []
    assert _billing_rows() == billing_before  # R10.3: invoices untouched
    # The colleague is untouched, and the erased person's mails are still there as rows.
    assert ContactPerson.objects.get(pk=colleague.pk).email == colleague.email
    assert EndCustomerMail.objects.filter(contact_person=person).count() == 2


@pytest.mark.django_db
def test_gdpr_the_page_downloads_the_export_and_erases_after_confirmation(history):
    from django.test import Client

    world, person = history.world, history.person
    url = f"/partners/{world.partner_a.pk}/end-customers/{world.customer_a.pk}/contacts/{person.pk}/personal-data/"
    client = Client()
    client.force_login(world.users[Role.PARTNER_ADMIN])
    page = client.get(url)
    assert page.status_code == 200 and person.name.encode() in page.content
    download = client.get(url + "?download=1")
    assert download.status_code == 200 and download.json()["contact_person"]["email"] == person.email
    assert client.post(url + "erase/").status_code == 302  # not confirmed: back to the page
    assert ContactPerson.objects.get(pk=person.pk).email == person.email
    assert client.post(url + "erase/", {"confirm": "yes"}).status_code == 302
    assert ContactPerson.objects.get(pk=person.pk).email == ""
    agent = Client()
    agent.force_login(world.users[Role.L1_AGENT])
    assert agent.get(url).status_code == 403
    outsider = Client()
    outsider.force_login(world.outsider[Role.PARTNER_ADMIN])
    assert outsider.get(url).status_code == 404
