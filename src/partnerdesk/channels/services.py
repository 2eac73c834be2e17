"""Writes of the inboxes: accept a quarantined mail onto a ticket or as a new ticket, pass it on, discard, restore."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import EndCustomer, Partner, User
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Ticket

from . import inbound, locks
from .choices import InboundOutcome
from .models import InboundMail
from .parsing import parse


def _locked_for(acting_user: User, mail: InboundMail, *, states: tuple[str, ...]) -> InboundMail:
    row = locks.lock_inbound(mail.pk)
    if row.partner_id is None and acting_user.role != Role.VENDOR_ADMIN:
        raise PermissionDenied(_("Your role does not allow this action."))
    if row.partner_id is not None and not (
        acting_user.role == Role.PARTNER_ADMIN and acting_user.partner_id == row.partner_id
    ):
        raise PermissionDenied(_("Your role does not allow this action."))
    if row.outcome not in states:
        raise ValidationError({"state": _("This mail has already been dealt with.")})
    return row


def _handled(row: InboundMail, acting_user: User, outcome: str, **changes: object) -> InboundMail:
    row.outcome = outcome
    row.handled_by = acting_user
    row.handled_at = timezone.now()
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    return row


@transaction.atomic
def accept(
    *,
    acting_user: User,
    mail: InboundMail,
    ticket: Ticket | None = None,
    end_customer: EndCustomer | None = None,
) -> InboundMail:
    """Take a quarantined mail in: onto one of the inbox owner's tickets, or as a new first-level ticket for
    one of the partner's end customers (partner inbox). On a ticket, the mail's new text becomes a message
    written by the accepting user, naming the sender; a partner's internal note, the vendor's internal note."""
    row = _locked_for(acting_user, mail, states=(InboundOutcome.QUARANTINED,))
    if (ticket is None) == (end_customer is None):
        raise ValidationError({"ticket_id": _("Choose a ticket or an end customer.")})
    parsed = parse(bytes(row.raw))
    if end_customer is not None:
        if row.partner_id is None or end_customer.partner_id != row.partner_id:
            raise ValidationError({"end_customer_id": _("Choose one of your end customers.")})
        sender = row.sender
        author = sender if sender is not None and sender.partner_id == row.partner_id else acting_user
        new_ticket = inbound.open_ticket(row, parsed, author, end_customer)
        return _handled(row, acting_user, InboundOutcome.ACCEPTED, ticket=new_ticket)
    assert ticket is not None  # noqa: S101 - one of the two, checked above
    kind = MessageKind.VENDOR_NOTE if acting_user.is_vendor else MessageKind.PARTNER_NOTE
    if kind not in ticket_services.allowed_message_kinds(acting_user, ticket) or (
        acting_user.is_partner and ticket.partner_id != acting_user.partner_id
    ):
        raise ValidationError({"ticket_id": _("You cannot add this mail to that ticket.")})
    sender = f"{parsed.from_name} <{parsed.from_address}>" if parsed.from_name else parsed.from_address
    body = _("Mail from %(sender)s, subject “%(subject)s”:") % {"sender": sender or "?", "subject": parsed.subject}
    body = f"{body}\n\n{parsed.new_text or parsed.text}".strip()
    message = ticket_services.post_message(acting_user=acting_user, ticket=ticket, kind=kind, body=body)
    inbound.attach_all(row, parsed, ticket, acting_user, kind, message)
    return _handled(row, acting_user, InboundOutcome.ACCEPTED, ticket=ticket, ticket_message=message)


@transaction.atomic
def pass_to_partner(*, acting_user: User, mail: InboundMail, partner: Partner) -> InboundMail:
    """The vendor admin hands a mail of the vendor's inbox to the partner it belongs to (the partner's inbox)."""
    row = _locked_for(acting_user, mail, states=(InboundOutcome.QUARANTINED,))
    if row.partner_id is not None:
        raise ValidationError({"partner_id": _("This mail is already in a partner's inbox.")})
    row.partner = partner
    row.save(update_fields=["partner"])
    return row


@transaction.atomic
def discard(*, acting_user: User, mail: InboundMail) -> InboundMail:
    """Set a quarantined mail aside; it stays listed as discarded and can be restored."""
    row = _locked_for(acting_user, mail, states=(InboundOutcome.QUARANTINED,))
    return _handled(row, acting_user, InboundOutcome.DISCARDED)


@transaction.atomic
def restore(*, acting_user: User, mail: InboundMail) -> InboundMail:
    """Undo a discard: the mail waits in the inbox again."""
    row = _locked_for(acting_user, mail, states=(InboundOutcome.DISCARDED,))
    return _handled(row, acting_user, InboundOutcome.QUARANTINED)
