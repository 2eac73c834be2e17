"""R12.2: the contact API's lists take a fixed number of queries, however many rows they return."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from partnerdesk.accounts.choices import Role
from partnerdesk.contact.choices import Channel
from partnerdesk.contact.gate import authorize_contact
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.contact.selectors import contacts_shown_to


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _mail(cw, capture):
    permit = authorize_contact(acting_user=cw.agent, ticket=cw.ticket, contact_person=cw.person, channel=Channel.EMAIL)
    with capture(execute=False):
        send_mail_to_end_customer(permit=permit, subject="Hello Jens Hansen", body="x")


def test_r12_2_audit_log_and_mail_lists_have_a_fixed_number_of_queries(
    contact_world, api_as, django_capture_on_commit_callbacks
):
    contact_world.grant()
    _mail(contact_world, django_capture_on_commit_callbacks)
    urls = {
        Role.PARTNER_ADMIN: ["audit-log", f"tickets/{contact_world.ticket.pk}/end-customer-mails"],
        Role.VENDOR_ADMIN: ["audit-log", f"tickets/{contact_world.ticket.pk}/end-customer-mails"],
    }
    clients = {role: api_as(role) for role in urls}
    for client in clients.values():
        client.get("me")  # the token's first use is recorded once
    few = {(role, url): _queries(clients[role], url) for role in urls for url in urls[role]}
    for _ in range(4):
        _mail(contact_world, django_capture_on_commit_callbacks)
        contacts_shown_to(contact_world.agent, contact_world.ticket, via="api")
    many = {(role, url): _queries(clients[role], url) for role in urls for url in urls[role]}
    assert many == few


def test_r9_1_vendor_message_list_masks_with_one_load_of_contacts(contact_world, api_as):
    """The vendor's messages are masked with the end customer's contacts loaded once: the number of queries
    does not grow with the messages (it was 54 for 10 messages: ticket, end customer, contacts per message)."""
    from partnerdesk.tickets.choices import MessageKind
    from partnerdesk.tickets.models import Message

    ticket, client = contact_world.ticket, api_as(Role.L2_AGENT)

    def queries_for(count: int) -> int:
        Message.objects.bulk_create(
            Message(ticket=ticket, kind=MessageKind.THREAD, author_name="Jens Hansen", body="Jens Hansen anrufen")
            for _ in range(count)
        )
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"tickets/{ticket.pk}/messages?limit=100")
        assert response.status_code == 200
        assert all("Hansen" not in m["body"] for m in response.json()["items"])
        return len(captured)

    queries_for(1)  # warm: the token's first use writes its last-used time
    assert queries_for(10) == queries_for(30) <= 8
