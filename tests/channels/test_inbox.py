"""R7.1: quarantined mail is never dropped silently; the inbox's owner accepts or discards it (pages, services)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partnerdesk.accounts.choices import Role
from partnerdesk.channels import services
from partnerdesk.channels.addresses import reply_address
from partnerdesk.channels.choices import InboundOutcome
from partnerdesk.channels.inbound import receive
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message, Ticket
from tests.contact.conftest import escalated_ticket
from tests.query_counts import page_client

from .conftest import build_mail


@pytest.fixture
def escalated(world: Any) -> Ticket:
    return escalated_ticket(world.partner_a, world.customer_a)


def _stranger_on(ticket: Ticket, body: str = "Bitte um Rückruf.") -> Any:
    return receive(build_mail(sender="Eva Kunde <eva@nowhere.example>", to=reply_address(ticket.pk), body=body)).mail


def test_r7_1_partner_admin_accepts_a_strangers_mail_onto_the_ticket(world: Any, escalated: Ticket) -> None:
    mail = _stranger_on(escalated)
    client = page_client(world.user(Role.PARTNER_ADMIN))
    page = client.get(f"/inbox/{mail.pk}/")
    assert page.status_code == 200 and "Bitte um Rückruf." in page.content.decode()
    response = client.post(f"/inbox/{mail.pk}/accept/", {"ticket_id": escalated.pk})
    assert response.status_code == 302 and response["Location"] == f"/tickets/{escalated.pk}/"
    mail.refresh_from_db()
    message = mail.ticket_message
    assert mail.outcome == InboundOutcome.ACCEPTED and mail.handled_by == world.user(Role.PARTNER_ADMIN)
    assert message.kind == MessageKind.PARTNER_NOTE and "eva@nowhere.example" in message.body
    assert "Bitte um Rückruf." in message.body and not message.shared_with_vendor


def test_r7_1_partner_admin_opens_a_ticket_from_a_mail_without_end_customer(world: Any) -> None:
    from tests.factories import EndCustomerFactory

    EndCustomerFactory(partner=world.partner_a, number=7, name="Zweiter Kunde")
    l1 = world.user(Role.L1_AGENT)
    mail = receive(build_mail(sender=l1.email, subject="Kasse defekt", body="Seit gestern.")).mail
    assert mail.outcome == InboundOutcome.QUARANTINED
    client = page_client(world.user(Role.PARTNER_ADMIN))
    assert client.post(f"/inbox/{mail.pk}/accept/", {"end_customer_id": world.customer_a.pk}).status_code == 302
    mail.refresh_from_db()
    ticket = mail.ticket
    assert mail.outcome == InboundOutcome.ACCEPTED and ticket.end_customer == world.customer_a
    assert ticket.created_by == l1 and ticket.subject == "Kasse defekt"  # the sender opened it, not the admin


def test_r7_1_discard_can_be_undone(world: Any, escalated: Ticket) -> None:
    mail = _stranger_on(escalated)
    client = page_client(world.user(Role.PARTNER_ADMIN))
    client.post(f"/inbox/{mail.pk}/discard/")
    mail.refresh_from_db()
    assert mail.outcome == InboundOutcome.DISCARDED
    assert "eva@nowhere.example" not in client.get("/inbox/").content.decode()
    assert "eva@nowhere.example" in client.get("/inbox/?show=discarded").content.decode()
    client.post(f"/inbox/{mail.pk}/restore/")
    mail.refresh_from_db()
    assert mail.outcome == InboundOutcome.QUARANTINED


def test_r7_1_vendor_admin_passes_a_stray_mail_to_the_partner(world: Any) -> None:
    mail = receive(build_mail(sender="someone@nowhere.example", subject="Frage")).mail
    vendor = page_client(world.user(Role.VENDOR_ADMIN))
    assert "someone@nowhere.example" in vendor.get("/inbox/").content.decode()
    vendor.post(f"/inbox/{mail.pk}/pass/", {"partner_id": world.partner_a.pk})
    mail.refresh_from_db()
    assert mail.partner_id == world.partner_a.pk and mail.outcome == InboundOutcome.QUARANTINED
    assert "someone@nowhere.example" in page_client(world.user(Role.PARTNER_ADMIN)).get("/inbox/").content.decode()
    assert vendor.get(f"/inbox/{mail.pk}/").status_code == 404  # no longer the vendor's


@pytest.mark.parametrize("language", ["de", "en"])
def test_r13_1_accepting_onto_a_foreign_or_bad_ticket_names_the_field(
    world: Any, escalated: Ticket, language: str
) -> None:
    mail = _stranger_on(escalated)
    foreign = escalated_ticket(world.partner_b, world.customer_b)
    admin = world.user(Role.PARTNER_ADMIN)
    admin.language = language
    admin.save()
    client = page_client(admin)
    for value in (foreign.pk, "abc", "99999999999999999999999"):
        response = client.post(f"/inbox/{mail.pk}/accept/", {"ticket_id": value}, follow=True)
        text = response.content.decode()
        assert response.status_code == 200
        assert ("Keines Ihrer Tickets" if language == "de" else "No ticket of yours") in text
    mail.refresh_from_db()
    assert mail.outcome == InboundOutcome.QUARANTINED and Message.objects.filter(ticket=foreign).count() == 0


def test_r7_1_only_the_inbox_owner_decides(world: Any, escalated: Ticket) -> None:
    mail = _stranger_on(escalated)
    with pytest.raises(PermissionDenied):
        services.discard(acting_user=world.outsider[Role.PARTNER_ADMIN], mail=mail)
    with pytest.raises(PermissionDenied):
        services.discard(acting_user=world.user(Role.VENDOR_ADMIN), mail=mail)
    assert page_client(world.user(Role.L1_AGENT)).get("/inbox/").status_code == 403
    services.discard(acting_user=world.user(Role.PARTNER_ADMIN), mail=mail)
    with pytest.raises(ValidationError):
        services.discard(acting_user=world.user(Role.PARTNER_ADMIN), mail=mail)


def test_r7_1_the_original_is_viewable_as_plain_text_by_who_sees_the_message(world: Any, escalated: Ticket) -> None:
    l1 = world.user(Role.L1_AGENT)
    mail = receive(build_mail(sender=l1.email, to=reply_address(escalated.pk), html="<script>x()</script>ok")).mail
    for role in (Role.L1_AGENT, Role.L2_AGENT):
        response = page_client(world.user(role)).get(f"/mail/{mail.pk}/original/")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
        assert b"Message-ID:" in response.content
    assert page_client(world.outsider[Role.L1_AGENT]).get(f"/mail/{mail.pk}/original/").status_code == 404


def test_r7_1_the_ticket_page_links_a_mailed_message_to_its_original(world: Any, escalated: Ticket) -> None:
    mail = receive(build_mail(sender=world.user(Role.L1_AGENT).email, to=reply_address(escalated.pk))).mail
    for role in (Role.L1_AGENT, Role.L2_AGENT):
        page = page_client(world.user(role)).get(f"/tickets/{escalated.pk}/").content.decode()
        assert f"/mail/{mail.pk}/original/" in page


def test_r12_2_the_inbox_through_the_api(world: Any, escalated: Ticket, api_as: Any) -> None:
    mail = _stranger_on(escalated)
    admin = api_as(Role.PARTNER_ADMIN)
    listed = admin.get("inbox").json()
    assert [row["id"] for row in listed["items"]] == [mail.pk] and listed["items"][0]["reason"] == "not_on_ticket"
    refused = admin.post(f"inbox/{mail.pk}/accept", {}, **{"Accept-Language": "de"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "ticket_id", "message": "Wählen Sie ein Ticket oder einen Endkunden."}
    ]
    assert admin.post(f"inbox/{mail.pk}/accept", {"ticket_id": 999999}).status_code == 404
    accepted = admin.post(f"inbox/{mail.pk}/accept", {"ticket_id": escalated.pk})
    assert accepted.status_code == 200 and accepted.json()["outcome"] == "accepted"
    assert admin.get("inbox").json()["items"] == []
    assert api_as(Role.L1_AGENT).get("inbox").status_code == 403
    assert api_as(world.outsider[Role.PARTNER_ADMIN]).get(f"inbox/{mail.pk}").status_code == 404
