"""Inbound mail onto tickets (R5.1, R7.1, R9.5): store once, recognise, match, and hand to the ticket's services.

`receive(raw)` is the one entry point (the IMAP fetch and the pipe hand-off both call it). Each mail is one
transaction: the stored mail and what it became (a message, a new ticket, an end customer's reply, a bounce
recorded on the outbox, or a place in an inbox) commit together, or not at all.

Matching, first hit wins:
1. the reply address with the ticket's token (support+<ticket>.<token>@...), in To, Cc or Delivered-To;
2. In-Reply-To and References: a mail we sent (end-customer mail, notification, the ticket's thread id) or
   a mail we received on a ticket;
3. a `[#123]` tag in the subject, only for senders who may see that ticket (a tag is easily typed).

Then the sender decides: a user of the ticket's partner or a vendor worker writes on the ticket as
themselves; a contact person of the ticket's end customer, or anybody answering a vendor's mail to the end
customer, is an end customer's reply (R9.5); anybody else waits in the partner's inbox. Without a ticket, a
known partner user opens a first-level ticket (R5.1), when the mail says for which end customer
(a "[K 1002]" tag with the customer number) or the partner has only one; otherwise it waits in an inbox.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import PARTNER_ROLES
from partnerdesk.accounts.models import ContactPerson, EndCustomer, Partner, User
from partnerdesk.contact.models import EndCustomerMail
from partnerdesk.contact.services import record_end_customer_reply
from partnerdesk.outbox.delivery import record_bounce
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message, Ticket

from . import addresses
from .choices import InboundOutcome, InboundSource, QuarantineReason
from .models import InboundMail
from .parsing import ParsedMail, parse

logger = logging.getLogger(__name__)

_CUSTOMER_TAG = re.compile(r"\[(?:K|Kd|Kunde|Customer|C)\s*(?:Nr\.?|No\.?)?\s*#?\s*(\d{1,9})\]", re.IGNORECASE)
_TICKET_REFERENCE = re.compile(r"^tickets\.(?:Ticket|Message):(\d+)$")


@dataclass
class Received:
    mail: InboundMail
    duplicate: bool = False


def receive(raw: bytes, *, source: str = InboundSource.PIPE) -> Received:
    """Store one mail and act on it; the same Message-ID a second time changes nothing (R7.1)."""
    parsed = parse(raw)
    existing = InboundMail.objects.filter(message_id=parsed.message_id[:500]).first()
    if existing is not None:
        return Received(existing, duplicate=True)
    try:
        with transaction.atomic():
            mail = _new(raw, parsed, source)
            _act(mail, parsed)
            # Written last, in one INSERT: its unique Message-ID makes a concurrent second delivery of the
            # same mail fail here, which rolls back everything this one did.
            mail.save()
            return Received(mail)
    except IntegrityError:
        # A second delivery of the same mail committed first (two fetchers, or fetch and pipe at once).
        existing = InboundMail.objects.filter(message_id=parsed.message_id[:500]).first()
        if existing is None:
            raise
        return Received(existing, duplicate=True)


def _new(raw: bytes, parsed: ParsedMail, source: str) -> InboundMail:
    return InboundMail(
        message_id=parsed.message_id[:500],
        source=source,
        from_name=parsed.from_name[:200],
        from_address=parsed.from_address[:320],
        to=parsed.to[:50],
        subject=parsed.subject[:300],
        in_reply_to=" ".join(parsed.in_reply_to),
        references=" ".join(parsed.references),
        text=parsed.text,
        new_text=parsed.new_text,
        html=parsed.html,
        raw=raw,
        size=len(raw),
        attachment_names=[a.filename for a in parsed.attachments],
        outcome=InboundOutcome.QUARANTINED,  # until _act decides
    )


def _save(mail: InboundMail, outcome: str, **changes: object) -> None:
    """Record what became of the mail (the caller saves it)."""
    mail.outcome = outcome
    for name, value in changes.items():
        setattr(mail, name, value)


def _act(mail: InboundMail, parsed: ParsedMail) -> None:
    if parsed.bounce is not None:
        reason = " ".join(p for p in (parsed.bounce.status, parsed.bounce.diagnostic) if p) or "delivery failed"
        marked = [
            row.pk
            for message_id in parsed.bounce.message_ids
            if (row := record_bounce(message_id, recipients=parsed.bounce.recipients, reason=reason)) is not None
        ]
        _save(mail, InboundOutcome.BOUNCE, detail=f"outbox {marked}: {reason}" if marked else reason)
        return
    if parsed.auto_reply:
        _save(mail, InboundOutcome.AUTO_REPLY)
        return
    sender = _sender(parsed.from_address)
    ticket, answered_end_customer_mail = _matched_ticket(parsed, sender)
    if ticket is None:
        _without_ticket(mail, parsed, sender)
        return
    mail.ticket = ticket
    if answered_end_customer_mail is not None:
        _end_customer_reply(mail, parsed, ticket)
        return
    if sender is not None and _may_write(sender, ticket):
        _post_on_ticket(mail, parsed, ticket, sender)
        return
    if _is_contact_person(parsed.from_address, ticket):
        _end_customer_reply(mail, parsed, ticket)
        return
    _quarantine(mail, partner_id=ticket.partner_id, reason=QuarantineReason.NOT_ON_TICKET)


# --- who and which ticket ---------------------------------------------------------------------------


def _sender(address: str) -> User | None:
    if not address:
        return None
    users = list(User.objects.filter(email__iexact=address, is_active=True).order_by("pk")[:2])
    return users[0] if len(users) == 1 else None  # an address two users share names nobody


def _may_see(user: User, ticket: Ticket) -> bool:
    if user.is_partner:
        return user.partner_id == ticket.partner_id
    return user.role in ticket_services.VENDOR_WORKERS and ticket.escalated_at is not None


def _may_write(user: User, ticket: Ticket) -> bool:
    return _may_see(user, ticket) and bool(ticket_services.allowed_message_kinds(user, ticket))


def _is_contact_person(address: str, ticket: Ticket) -> bool:
    return (
        bool(address)
        and ContactPerson.objects.filter(end_customer_id=ticket.end_customer_id, email__iexact=address).exists()
    )


def _matched_ticket(parsed: ParsedMail, sender: User | None) -> tuple[Ticket | None, EndCustomerMail | None]:
    for address in parsed.to:
        ticket_id = addresses.ticket_of_address(address)
        if ticket_id is not None and (ticket := Ticket.objects.filter(pk=ticket_id).first()) is not None:
            return ticket, None
    answered = parsed.answered_ids
    if answered:
        vendor_mail = (
            EndCustomerMail.objects.filter(direction=EndCustomerMail.Direction.OUTBOUND, message_id__in=answered)
            .select_related("ticket")
            .order_by("-pk")
            .first()
        )
        if vendor_mail is not None:
            return vendor_mail.ticket, vendor_mail
        ticket_id = _ticket_id_answered(answered)
        if ticket_id is not None and (ticket := Ticket.objects.filter(pk=ticket_id).first()) is not None:
            return ticket, None
    tagged = parsed.subject_ticket_id
    if tagged is not None and sender is not None:
        ticket = Ticket.objects.filter(pk=tagged).first()
        if ticket is not None and _may_see(sender, ticket):
            return ticket, None
    return None, None


def _ticket_id_answered(answered: list[str]) -> int | None:
    for message_id in answered:
        ticket_id = addresses.ticket_of_thread_id(message_id)
        if ticket_id is not None:
            return ticket_id
    for reference in OutboxMessage.objects.filter(message_id__in=answered).values_list("reference", flat=True):
        match = _TICKET_REFERENCE.match(reference or "")
        if match and reference.startswith("tickets.Ticket:"):
            return int(match.group(1))
        if match:
            ticket_id = Message.objects.filter(pk=int(match.group(1))).values_list("ticket_id", flat=True).first()
            if ticket_id is not None:
                return ticket_id
    return (
        InboundMail.objects.filter(message_id__in=answered, ticket__isnull=False)
        .values_list("ticket_id", flat=True)
        .first()
    )


# --- what it becomes --------------------------------------------------------------------------------


def _quarantine(mail: InboundMail, *, partner_id: int | None, reason: str, detail: str = "") -> None:
    _save(mail, InboundOutcome.QUARANTINED, partner_id=partner_id, reason=reason, detail=detail[:2000])


def _end_customer_reply(mail: InboundMail, parsed: ParsedMail, ticket: Ticket) -> None:
    sender = f"{parsed.from_name} <{parsed.from_address}>" if parsed.from_name else parsed.from_address
    reply = record_end_customer_reply(
        ticket=ticket,
        from_address=sender,
        subject=parsed.subject,
        body=parsed.new_text,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to[0] if parsed.in_reply_to else "",
        references=parsed.references,
    )
    problems = [{"filename": a.filename, "reason": _("kept in the original mail")} for a in parsed.attachments]
    _save(
        mail,
        InboundOutcome.END_CUSTOMER,
        partner_id=ticket.partner_id,
        ticket_message=reply.ticket_message,
        attachment_problems=problems,
    )


def attach_all(
    mail: InboundMail, parsed: ParsedMail, ticket: Ticket, author: User, kind: str, message: Message | None
) -> None:
    problems = []
    for attached in parsed.attachments:
        upload = SimpleUploadedFile(attached.filename, attached.content, content_type=attached.content_type)
        problem = ticket_services.upload_problem(upload)
        if problem is None:
            try:
                ticket_services.add_attachment(
                    acting_user=author, ticket=ticket, upload=upload, kind=kind, message=message
                )
                continue
            except (ValidationError, PermissionDenied) as error:
                problem = _message_of(error)
        problems.append({"filename": attached.filename, "reason": problem})
    mail.attachment_problems = problems


def _message_of(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return "; ".join(str(m) for messages in error.message_dict.values() for m in messages)
    if isinstance(error, ValidationError):
        return "; ".join(str(m) for m in error.messages)
    return str(error)


def _post_on_ticket(mail: InboundMail, parsed: ParsedMail, ticket: Ticket, sender: User) -> None:
    kinds = ticket_services.allowed_message_kinds(sender, ticket)
    kind = MessageKind.THREAD if MessageKind.THREAD in kinds else MessageKind.PARTNER_NOTE
    body = parsed.new_text or parsed.subject or _("(no text)")
    try:  # post_message is atomic itself: refused, it leaves nothing behind
        message = ticket_services.post_message(acting_user=sender, ticket=ticket, kind=kind, body=body)
    except (ValidationError, PermissionDenied) as error:  # e.g. a closed ticket: the partner decides
        _quarantine(mail, partner_id=ticket.partner_id, reason=QuarantineReason.REFUSED, detail=_message_of(error))
        return
    attach_all(mail, parsed, ticket, sender, kind, message)
    _save(mail, InboundOutcome.MESSAGE, partner_id=ticket.partner_id, sender=sender, ticket_message=message)


def _end_customer_for(parsed: ParsedMail, partner_id: int) -> EndCustomer | None:
    customers = EndCustomer.objects.filter(partner_id=partner_id, is_active=True)
    tag = _CUSTOMER_TAG.search(parsed.subject)
    if tag is not None:
        return customers.filter(number=int(tag.group(1))).first()
    only = list(customers.order_by("pk")[:2])
    return only[0] if len(only) == 1 else None


def _without_ticket(mail: InboundMail, parsed: ParsedMail, sender: User | None) -> None:
    if sender is None:
        partner = Partner.objects.filter(email__iexact=parsed.from_address).first() if parsed.from_address else None
        _quarantine(mail, partner_id=partner.pk if partner else None, reason=QuarantineReason.UNKNOWN_SENDER)
        return
    if not (sender.is_partner and sender.role in PARTNER_ROLES):
        _quarantine(mail, partner_id=None, reason=QuarantineReason.NO_TICKET)
        return
    assert sender.partner_id is not None  # noqa: S101 - a partner user belongs to a partner
    end_customer = _end_customer_for(parsed, sender.partner_id)
    if end_customer is None:
        _quarantine(mail, partner_id=sender.partner_id, reason=QuarantineReason.END_CUSTOMER_UNKNOWN)
        mail.sender = sender
        return
    open_ticket(mail, parsed, sender, end_customer)


def open_ticket(mail: InboundMail, parsed: ParsedMail, author: User, end_customer: EndCustomer) -> Ticket:
    """A first-level ticket for the end customer, its description the mail's new text (R5.1); the caller saves
    the mail."""
    subject = _CUSTOMER_TAG.sub("", parsed.subject).strip() or _("(no subject)")
    ticket = ticket_services.create_ticket(
        acting_user=author,
        end_customer=end_customer,
        subject=subject[:200],
        description=parsed.new_text or parsed.text,
    )
    attach_all(mail, parsed, ticket, author, MessageKind.PARTNER_NOTE, None)
    _save(mail, InboundOutcome.NEW_TICKET, partner_id=ticket.partner_id, ticket=ticket, sender=author)
    return ticket
