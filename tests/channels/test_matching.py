"""R7.1, R5.1, R9.5: inbound mail is matched to its ticket, stored once, and never silently dropped."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.mail import EmailMessage

from partnerdesk.accounts.choices import Role
from partnerdesk.channels.addresses import reply_address, thread_id
from partnerdesk.channels.choices import InboundOutcome, QuarantineReason
from partnerdesk.channels.inbound import receive
from partnerdesk.channels.models import InboundMail
from partnerdesk.outbox.choices import OutboxState
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.outbox.services import enqueue
from partnerdesk.tickets.choices import Level, MessageKind, TicketState
from partnerdesk.tickets.models import Attachment, Message, Ticket
from tests.contact.conftest import escalated_ticket, first_level_ticket

from .conftest import OUTLOOK_GERMAN_REPLY, build_mail

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def escalated(world: Any) -> Ticket:
    return escalated_ticket(world.partner_a, world.customer_a, subject="Synchronisation bricht ab")


def _l1(world: Any) -> Any:
    return world.user(Role.L1_AGENT)


def test_r7_1_reply_address_token_puts_the_mail_on_its_ticket(world: Any, escalated: Ticket) -> None:
    raw = build_mail(sender=f"Petra <{_l1(world).email}>", to=reply_address(escalated.pk), body="Neue Logs anbei.")
    mail = receive(raw).mail
    assert mail.outcome == InboundOutcome.MESSAGE and mail.ticket == escalated
    message = mail.ticket_message
    assert message.kind == MessageKind.THREAD and message.author == _l1(world) and message.body == "Neue Logs anbei."


def test_r7_1_a_forged_token_matches_nothing(world: Any, escalated: Ticket) -> None:
    forged = reply_address(escalated.pk).replace("+", "+9").split("@")[0] + "@groupios.example"
    mail = receive(build_mail(sender="someone@else.example", to=forged)).mail
    assert mail.ticket is None and mail.outcome == InboundOutcome.QUARANTINED


def test_r7_1_references_to_a_mail_we_sent_find_the_ticket(world: Any, escalated: Ticket) -> None:
    sent = enqueue(
        kind="notification",
        message=EmailMessage("x", "y", to=[_l1(world).email]),
        reference=f"tickets.Ticket:{escalated.pk}",
    )
    raw = build_mail(
        sender=_l1(world).email, subject="Re: Ihre Nachricht", references=f"<a@b.example> {sent.message_id}"
    )
    mail = receive(raw).mail
    assert mail.ticket == escalated and mail.outcome == InboundOutcome.MESSAGE


def test_r7_1_in_reply_to_the_tickets_thread_id_finds_the_ticket(world: Any, escalated: Ticket) -> None:
    raw = build_mail(sender=_l1(world).email, subject="Re", in_reply_to=thread_id(escalated.pk))
    assert receive(raw).mail.ticket == escalated


def test_r7_1_subject_tag_is_the_last_resort_and_only_for_who_may_see_the_ticket(world: Any, escalated: Ticket) -> None:
    mine = receive(build_mail(sender=_l1(world).email, subject=f"AW: [#{escalated.pk}] Synchronisation")).mail
    assert mine.ticket == escalated and mine.outcome == InboundOutcome.MESSAGE
    # A user of another partner typing the tag gets no foothold on partner A's ticket.
    foreign = receive(build_mail(sender=world.outsider[Role.L1_AGENT].email, subject=f"[#{escalated.pk}] x")).mail
    assert foreign.ticket != escalated and foreign.ticket.partner == world.partner_b  # a new ticket of their own
    assert Message.objects.filter(ticket=escalated).count() == 1


def test_r7_1_the_same_message_id_twice_is_stored_once(world: Any, escalated: Ticket) -> None:
    raw = build_mail(sender=_l1(world).email, to=reply_address(escalated.pk), message_id="<once@client.example>")
    first, second = receive(raw), receive(raw)
    assert not first.duplicate and second.duplicate and first.mail.pk == second.mail.pk
    assert InboundMail.objects.count() == 1 and Message.objects.filter(ticket=escalated).count() == 1


def test_r7_1_a_mail_without_message_id_is_known_by_its_bytes(world: Any, escalated: Ticket) -> None:
    raw = build_mail(sender=_l1(world).email, to=reply_address(escalated.pk)).replace(b"Message-ID:", b"X-Old-Id:")
    assert not receive(raw).duplicate and receive(raw).duplicate
    assert Message.objects.filter(ticket=escalated).count() == 1


def test_r7_1_german_outlook_reply_lands_as_its_new_text_with_the_original_kept(world: Any, escalated: Ticket) -> None:
    body = OUTLOOK_GERMAN_REPLY.format(ticket=escalated.pk)
    mail = receive(build_mail(sender=_l1(world).email, to=reply_address(escalated.pk), body=body)).mail
    text = mail.ticket_message.body
    assert text == "Hallo zusammen,\n\nder Fehler tritt nach dem Update weiterhin auf, Protokoll anbei."
    assert "Gesendet:" not in text and "Mit freundlichen Grüßen" not in text
    assert b"Bitte senden Sie uns das Protokoll" in bytes(mail.raw) and "Gesendet:" in mail.text


def test_r7_1_quoted_gmail_style_history_is_removed(world: Any, escalated: Ticket) -> None:
    body = (
        "Geht wieder, danke!\n\n"
        "Am 30.11.2026 um 10:15 schrieb Support <support@groupios.example>:\n> Bitte neu starten.\n"
    )
    mail = receive(build_mail(sender=_l1(world).email, to=reply_address(escalated.pk), body=body)).mail
    assert mail.ticket_message.body == "Geht wieder, danke!"


def test_r7_1_html_only_mail_is_sanitised(world: Any, escalated: Ticket) -> None:
    raw = build_mail(
        sender=_l1(world).email,
        to=reply_address(escalated.pk),
        body=None,
        html='<p onclick="evil()">Fehler <b>weg</b></p><script>alert(1)</script><img src="http://track.example/x">',
    )
    mail = receive(raw).mail
    assert "<script" not in mail.html and "onclick" not in mail.html and "<img" not in mail.html
    assert "<b>weg</b>" in mail.html
    assert mail.ticket_message.body == "Fehler weg"  # the ticket gets the text, without the script


def test_r7_1_attachments_pass_the_upload_checks(world: Any, escalated: Ticket) -> None:
    raw = build_mail(
        sender=_l1(world).email,
        to=reply_address(escalated.pk),
        body="Protokoll anbei",
        attachments=[("sync.pdf", "application/pdf", PDF), ("tool.exe", "application/x-msdownload", b"MZ\x90\x00")],
    )
    mail = receive(raw).mail
    kept = Attachment.objects.get(ticket=escalated)
    assert kept.filename == "sync.pdf" and kept.message == mail.ticket_message and kept.uploaded_by == _l1(world)
    assert kept.file.read() == PDF
    assert [p["filename"] for p in mail.attachment_problems] == ["tool.exe"]
    assert mail.attachment_names == ["sync.pdf", "tool.exe"]


@pytest.mark.parametrize(
    "header",
    [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"Precedence": "bulk"}],
    ids=["auto-submitted", "x-autoreply", "precedence-bulk"],
)
def test_r7_1_auto_replies_never_become_messages_or_tickets(world: Any, escalated: Ticket, header: Any) -> None:
    raw = build_mail(sender=_l1(world).email, to=reply_address(escalated.pk), subject="Abwesenheit", headers=header)
    mail = receive(raw).mail
    assert mail.outcome == InboundOutcome.AUTO_REPLY and mail.ticket_message is None
    assert Message.objects.filter(ticket=escalated).count() == 0 and Ticket.objects.count() == 1


def _dsn(original_message_id: str, recipient: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example\r\nTo: support@groupios.example\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <dsn-1@mx.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original_message_id}\r\nSubject: x\r\n\r\n"
        "--B--\r\n"
    ).encode()


def test_r7_5_a_bounce_marks_the_outbox_message_failed_for_that_address(world: Any, escalated: Ticket) -> None:
    sent = enqueue(kind="notification", message=EmailMessage("x", "y", to=["gone@a.example"]))
    OutboxMessage.objects.filter(pk=sent.pk).update(state=OutboxState.SENT)
    mail = receive(_dsn(sent.message_id, "gone@a.example")).mail
    sent.refresh_from_db()
    assert mail.outcome == InboundOutcome.BOUNCE and mail.ticket is None
    assert sent.state == OutboxState.FAILED and "gone@a.example" in sent.last_error and "5.1.1" in sent.last_error
    assert Message.objects.count() == 0


def test_r7_1_unknown_sender_waits_in_the_vendor_inbox(world: Any) -> None:
    mail = receive(build_mail(sender="stranger@nowhere.example", subject="Angebot")).mail
    assert mail.outcome == InboundOutcome.QUARANTINED and mail.reason == QuarantineReason.UNKNOWN_SENDER
    assert mail.partner_id is None and Ticket.objects.count() == 0


def test_r7_1_unknown_sender_on_a_ticket_waits_in_the_partners_inbox(world: Any, escalated: Ticket) -> None:
    mail = receive(build_mail(sender="stranger@nowhere.example", to=reply_address(escalated.pk))).mail
    assert mail.outcome == InboundOutcome.QUARANTINED and mail.reason == QuarantineReason.NOT_ON_TICKET
    assert mail.partner_id == world.partner_a.pk and mail.ticket == escalated
    assert Message.objects.filter(ticket=escalated).count() == 0


def test_r5_1_known_partner_sender_without_ticket_opens_a_first_level_ticket(world: Any) -> None:
    mail = receive(build_mail(sender=_l1(world).email, subject="Drucker druckt nicht", body="Seit heute früh.")).mail
    ticket = mail.ticket
    assert mail.outcome == InboundOutcome.NEW_TICKET and ticket.partner == world.partner_a
    assert ticket.end_customer == world.customer_a  # partner A's only end customer
    assert ticket.level == Level.FIRST and ticket.state == TicketState.NEW and ticket.created_by == _l1(world)
    assert ticket.subject == "Drucker druckt nicht" and ticket.description == "Seit heute früh."


def test_r5_1_the_customer_number_tag_chooses_the_end_customer(world: Any) -> None:
    from tests.factories import EndCustomerFactory

    second = EndCustomerFactory(partner=world.partner_a, number=1002, name="Fischerei Ole")
    untagged = receive(build_mail(sender=_l1(world).email, subject="Ohne Kunde")).mail
    assert untagged.outcome == InboundOutcome.QUARANTINED
    assert untagged.reason == QuarantineReason.END_CUSTOMER_UNKNOWN and untagged.partner_id == world.partner_a.pk
    tagged = receive(build_mail(sender=_l1(world).email, subject="[K 1002] Kasse hängt")).mail
    assert tagged.ticket.end_customer == second and tagged.ticket.subject == "Kasse hängt"


def test_r7_1_vendor_staff_write_on_escalated_tickets_only(world: Any, escalated: Ticket) -> None:
    agent = world.user(Role.L2_AGENT)
    on_escalated = receive(build_mail(sender=agent.email, to=reply_address(escalated.pk), body="Patch folgt.")).mail
    assert on_escalated.ticket_message.author == agent and on_escalated.ticket_message.kind == MessageKind.THREAD
    first = first_level_ticket(world.partner_a, world.customer_a)
    hidden = receive(build_mail(sender=agent.email, to=reply_address(first.pk))).mail
    assert hidden.outcome == InboundOutcome.QUARANTINED and Message.objects.filter(ticket=first).count() == 0


def test_r7_1_partner_mail_on_a_first_level_ticket_is_an_internal_note(world: Any) -> None:
    first = first_level_ticket(world.partner_a, world.customer_a)
    mail = receive(build_mail(sender=_l1(world).email, to=reply_address(first.pk), body="Notiz")).mail
    assert mail.ticket_message.kind == MessageKind.PARTNER_NOTE and not mail.ticket_message.shared_with_vendor


def test_r7_1_mail_on_a_closed_ticket_waits_for_the_partner(world: Any, escalated: Ticket) -> None:
    Ticket.objects.filter(pk=escalated.pk).update(state=TicketState.CLOSED)
    mail = receive(build_mail(sender=_l1(world).email, to=reply_address(escalated.pk))).mail
    assert mail.outcome == InboundOutcome.QUARANTINED and mail.reason == QuarantineReason.REFUSED
    assert mail.detail and Message.objects.filter(ticket=escalated).count() == 0  # the service's reason, kept


def test_r7_1_a_failure_while_acting_stores_nothing(world: Any, escalated: Ticket, monkeypatch: Any) -> None:
    from partnerdesk.tickets import services as ticket_services

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ticket_services, "post_message", broken)
    raw = build_mail(sender=_l1(world).email, to=reply_address(escalated.pk), message_id="<retry@client.example>")
    with pytest.raises(RuntimeError):
        receive(raw)
    assert InboundMail.objects.count() == 0  # not stored, so the next delivery is not a "duplicate"
    monkeypatch.undo()
    assert receive(raw).mail.outcome == InboundOutcome.MESSAGE


# --- R9.5: end customers' replies ----------------------------------------------------------------


def _vendor_mail_to_end_customer(contact_world: Any, capture: Any) -> Any:
    from partnerdesk.contact.choices import Channel
    from partnerdesk.contact.gate import authorize_contact
    from partnerdesk.contact.outbound import send_mail_to_end_customer

    permit = authorize_contact(
        acting_user=contact_world.agent,
        ticket=contact_world.ticket,
        contact_person=contact_world.person,
        channel=Channel.EMAIL,
    )
    with capture(execute=True):
        return send_mail_to_end_customer(permit=permit, subject="VPN", body="Bitte neu starten.")


def test_r9_5_end_customer_reply_to_an_authorised_mail_goes_to_the_ticket_and_the_partner_is_told(
    contact_world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    contact_world.grant()
    sent = _vendor_mail_to_end_customer(contact_world, django_capture_on_commit_callbacks)
    raw = build_mail(
        sender="Jens Hansen <jens@hansen.example>",
        to="support@nordlicht-it.example",
        subject="Re: VPN",
        body="Danke, läuft wieder.\n\n> Bitte neu starten.",
        in_reply_to=sent.message_id,
    )
    mail = receive(raw).mail
    assert mail.outcome == InboundOutcome.END_CUSTOMER and mail.ticket == contact_world.ticket
    message = mail.ticket_message
    assert message.kind == MessageKind.END_CUSTOMER and message.shared_with_vendor
    assert "Danke, läuft wieder." in message.body and "Hansen" not in message.body + message.author_name
    assert OutboxMessage.objects.filter(kind="reply_notice", to=[contact_world.world.user(Role.PARTNER_ADMIN).email])


def test_r9_5_after_the_authorisation_ended_the_vendor_cannot_answer_and_the_partner_can(
    contact_world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from partnerdesk.contact.choices import Channel
    from partnerdesk.contact.gate import ContactRefused, authorize_contact
    from partnerdesk.tickets.selectors import messages_visible_to
    from partnerdesk.tickets.services import post_message
    from tests.contact.conftest import expire

    authorization = contact_world.grant()
    sent = _vendor_mail_to_end_customer(contact_world, django_capture_on_commit_callbacks)
    expire(authorization)
    raw = build_mail(
        sender="jens@hansen.example", subject="Re: VPN", body="Noch eine Frage.", in_reply_to=sent.message_id
    )
    mail = receive(raw).mail
    message = mail.ticket_message
    assert mail.outcome == InboundOutcome.END_CUSTOMER and not message.shared_with_vendor
    assert message not in messages_visible_to(contact_world.agent, contact_world.ticket)
    with pytest.raises(ContactRefused):
        authorize_contact(
            acting_user=contact_world.agent,
            ticket=contact_world.ticket,
            contact_person=contact_world.person,
            channel=Channel.EMAIL,
        )
    answer = post_message(
        acting_user=contact_world.world.user(Role.L1_AGENT),
        ticket=contact_world.ticket,
        kind=MessageKind.END_CUSTOMER,
        body="Wir kümmern uns.",
    )
    assert answer.kind == MessageKind.END_CUSTOMER


def test_r9_5_a_contact_person_writing_to_the_tickets_address_is_an_end_customer_reply(
    contact_world: Any,
) -> None:
    raw = build_mail(sender="jens@hansen.example", to=reply_address(contact_world.ticket.pk), body="Hallo?")
    mail = receive(raw).mail
    assert mail.outcome == InboundOutcome.END_CUSTOMER
    assert not mail.ticket_message.shared_with_vendor  # it answers no authorised vendor mail


def test_r9_1_the_vendor_never_sees_an_end_customers_original(
    contact_world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from partnerdesk.channels.selectors import original_for

    contact_world.grant()
    sent = _vendor_mail_to_end_customer(contact_world, django_capture_on_commit_callbacks)
    mail = receive(build_mail(sender="jens@hansen.example", subject="Re", in_reply_to=sent.message_id)).mail
    assert original_for(contact_world.agent, mail.pk) is None
    assert original_for(contact_world.world.user(Role.L1_AGENT), mail.pk) == mail


def test_r9_5_an_answer_to_the_vendors_mail_from_another_address_of_the_end_customer_is_its_reply(
    contact_world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    contact_world.grant()
    sent = _vendor_mail_to_end_customer(contact_world, django_capture_on_commit_callbacks)
    raw = build_mail(
        sender="buchhaltung@hansen.example", subject="Re: VPN", body="Auch bei uns.", in_reply_to=sent.message_id
    )
    mail = receive(raw).mail
    assert mail.outcome == InboundOutcome.END_CUSTOMER and mail.ticket == contact_world.ticket
    # Not a contact person of the authorisation: the partner's alone, never shown to the vendor (R9.1).
    assert not mail.ticket_message.shared_with_vendor
