"""R9.5: an end customer's reply goes to the ticket and the partner is told; once the authorisation has ended,
the vendor can no longer answer."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.contact import services
from partnerdesk.contact.choices import AuditAction, Channel, RefusalReason
from partnerdesk.contact.gate import ContactRefused, authorize_contact
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message
from partnerdesk.tickets.selectors import messages_visible_to

from .conftest import expire

REPLY = "Danke, läuft wieder.\n\nJens Hansen\nTel.: 0431 555 0123\nBäckerei Hansen KG"


def _vendor_mail(cw, capture):
    permit = authorize_contact(acting_user=cw.agent, ticket=cw.ticket, contact_person=cw.person, channel=Channel.EMAIL)
    with capture(execute=True):
        mail = send_mail_to_end_customer(permit=permit, subject="VPN", body="Bitte neu starten.")
    deliver_due()
    return mail


def _reply(cw, capture, in_reply_to, message_id="<r1@hansen.example>"):
    with capture(execute=True):
        reply = services.record_end_customer_reply(
            ticket=cw.ticket,
            from_address="Jens Hansen <JENS@hansen.example>",
            subject="Re: VPN",
            body=REPLY,
            message_id=message_id,
            in_reply_to=in_reply_to,
        )
    deliver_due()  # the worker sends the partner's notice
    return reply


def test_r9_5_reply_to_an_authorised_mail_goes_to_the_ticket_and_the_partner_is_told(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    contact_world.grant()
    sent = _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    reply = _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id)

    assert reply.direction == "in" and reply.contact_person == contact_world.person and reply.body == REPLY
    message = reply.ticket_message
    assert message.kind == MessageKind.END_CUSTOMER and message.shared_with_vendor
    assert message in messages_visible_to(contact_world.agent, contact_world.ticket)
    assert message.author_name == f"End customer {contact_world.ticket.end_customer.pseudonym}"
    for secret in ("Jens", "Hansen", "0123", "Bäckerei"):
        assert secret not in message.body and secret not in message.author_name
    assert "Danke, läuft wieder." in message.body

    # The partner's administrator is told, with the full reply (a real SMTP delivery).
    notice = smtp_server.messages[-1]
    assert smtp_server.envelopes[-1].rcpt_tos == [contact_world.world.user(Role.PARTNER_ADMIN).email]
    assert f"#{contact_world.ticket.pk}" in notice["Subject"]
    assert "Jens Hansen" in notice.get_content() and "Bäckerei Hansen KG" in notice.get_content()

    replied = AuditEntry.objects.get(action=AuditAction.END_CUSTOMER_REPLIED)
    assert replied.detail["shared_with_vendor"] is True and replied.detail["answers_vendor_mail"] == sent.pk


def test_r7_1_the_same_reply_twice_is_stored_once(contact_world, smtp_server, django_capture_on_commit_callbacks):
    contact_world.grant()
    sent = _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    first = _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id)
    again = _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id)
    assert first.pk == again.pk
    assert EndCustomerMail.objects.filter(direction="in").count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.END_CUSTOMER_REPLIED).count() == 1


def test_r9_5_after_the_authorisation_ended_the_vendor_cannot_answer(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    authorization = contact_world.grant()
    sent = _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    expire(authorization)
    reply = _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id)
    # The reply still reaches the ticket and the partner, but the vendor no longer sees it ...
    assert not reply.ticket_message.shared_with_vendor
    assert reply.ticket_message not in messages_visible_to(contact_world.agent, contact_world.ticket)
    assert reply.ticket_message in messages_visible_to(contact_world.world.user(Role.L1_AGENT), contact_world.ticket)
    # ... and cannot answer it.
    with pytest.raises(ContactRefused) as refused:
        _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    assert refused.value.reason == RefusalReason.EXPIRED
    assert EndCustomerMail.objects.filter(direction="out").count() == 1


def test_r9_5_after_revocation_the_vendor_cannot_answer(contact_world, smtp_server, django_capture_on_commit_callbacks):
    authorization = contact_world.grant()
    sent = _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id)
    services.revoke_authorization(acting_user=contact_world.world.user(Role.L1_AGENT), authorization=authorization)
    with pytest.raises(ContactRefused) as refused:
        _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    assert refused.value.reason == RefusalReason.REVOKED


def test_r9_5_mail_that_answers_no_vendor_mail_stays_with_the_partner(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    contact_world.grant()
    reply = _reply(contact_world, django_capture_on_commit_callbacks, "<unknown@elsewhere.example>")
    assert not reply.ticket_message.shared_with_vendor
    assert reply.ticket_message.author_name == "Jens Hansen"  # the partner sees who wrote
    assert reply.ticket_message.body.endswith("Bäckerei Hansen KG")
    assert not Message.objects.filter(ticket=contact_world.ticket, shared_with_vendor=True).exists()


def test_r9_5_a_partner_admin_who_switched_reply_notices_off_is_not_told(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    from partnerdesk.accounts.choices import NotificationKind
    from partnerdesk.accounts.services import set_notification_switches
    from partnerdesk.outbox.models import OutboxMessage

    admin = contact_world.world.user(Role.PARTNER_ADMIN)
    set_notification_switches(acting_user=admin, kinds_off=[NotificationKind.END_CUSTOMER_REPLY])
    contact_world.grant()
    sent = _vendor_mail(contact_world, django_capture_on_commit_callbacks)
    reply = _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id)
    assert reply.ticket_message is not None  # the reply is on the ticket all the same
    assert not OutboxMessage.objects.filter(kind="reply_notice").exists()
    # Switched on again, the next reply is told.
    set_notification_switches(acting_user=admin, kinds_off=[])
    _reply(contact_world, django_capture_on_commit_callbacks, sent.message_id, message_id="<r2@hansen.example>")
    assert list(OutboxMessage.objects.filter(kind="reply_notice").values_list("to", flat=True)) == [[admin.email]]
