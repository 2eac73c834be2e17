"""Reads scoped to the asker: the inboxes and originals of inbound mail; appointments and the day plan."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.tickets.selectors import messages_visible_to, tickets_visible_to

from .choices import BUSY_STATES, AppointmentState, InboundOutcome
from .models import Appointment, InboundMail

INBOX_ROLES = {Role.VENDOR_ADMIN, Role.PARTNER_ADMIN}


def inbox_of(user: User) -> QuerySet[InboundMail] | None:
    """The quarantined mail this user decides on (vendor admin: the vendor's inbox; partner admin: the partner's);
    None for a role without an inbox."""
    if user.role == Role.VENDOR_ADMIN:
        scope = Q(partner__isnull=True)
    elif user.role == Role.PARTNER_ADMIN and user.partner_id is not None:
        scope = Q(partner_id=user.partner_id)
    else:
        return None
    return (
        InboundMail.objects.filter(scope, outcome__in=[InboundOutcome.QUARANTINED, InboundOutcome.DISCARDED])
        .select_related("ticket", "sender")
        .defer("raw", "html", "text")
        .order_by("outcome", "-received_at", "-pk")
    )


def inbox_mail(user: User, pk: int) -> InboundMail | None:
    """One mail of the user's inbox (quarantined or discarded), or None (not theirs: 404)."""
    inbox = inbox_of(user)
    return inbox.filter(pk=pk).defer(None).first() if inbox is not None else None


def original_for(user: User, pk: int) -> InboundMail | None:
    """A received mail's original, for who may see it: its inbox's owner, or whoever sees the ticket message
    it became (the partner always sees its own tickets' mails; the vendor only what was shared with it)."""
    mail = InboundMail.objects.select_related("ticket", "ticket_message").filter(pk=pk).first()
    if mail is None:
        return None
    if mail.is_quarantined or mail.outcome == InboundOutcome.DISCARDED:
        return mail if inbox_mail(user, pk) is not None else None
    if user.is_partner:
        return mail if mail.partner_id is not None and mail.partner_id == user.partner_id else None
    if mail.ticket_message is not None and mail.ticket is not None:
        visible = messages_visible_to(user, mail.ticket).filter(pk=mail.ticket_message_id)
        if visible.exists() and mail.outcome != InboundOutcome.END_CUSTOMER:
            return mail
    return None


def originals_by_message(user: User, message_ids: list[int]) -> dict[int, int]:
    """{ticket message id: inbound mail id} for the messages of a ticket page that came by mail (messages the
    asker was shown, so only the vendor's exclusion is needed here)."""
    if not message_ids:
        return {}
    rows = InboundMail.objects.filter(ticket_message_id__in=message_ids)
    if user.is_vendor:  # an end customer's original carries contact data (R9.1)
        rows = rows.exclude(outcome=InboundOutcome.END_CUSTOMER)
    return dict(rows.values_list("ticket_message_id", "pk"))


# --- appointments (R7.2-R7.4) -------------------------------------------------------------------------


def appointments_visible_to(user: User, *, kind: str | None = None) -> QuerySet[Appointment]:
    """The callbacks, meetings and sessions on the tickets the user sees (partner: its own; vendor: escalated)."""
    rows = Appointment.objects.filter(ticket__in=tickets_visible_to(user).values("pk")).select_related(
        "agent", "ticket", "time_entry"
    )
    if kind is not None:
        rows = rows.filter(kind=kind)
    return rows.order_by("starts_at", "pk")


def day_plan(user: User, *, start: datetime, end: datetime) -> dict[User | None, list[Appointment]]:
    """The vendor's appointments from start to end per agent (the day plan; vendor staff only), with the
    callbacks still waiting for a time under None."""
    if not user.is_vendor:
        return {}
    rows = appointments_visible_to(user).filter(
        Q(state__in=BUSY_STATES, starts_at__lt=end, ends_at__gt=start) | Q(state=AppointmentState.REQUESTED)
    )
    plan: dict[User | None, list[Appointment]] = {}
    for row in rows.order_by("agent_id", "starts_at", "wished_from", "pk"):
        plan.setdefault(row.agent, []).append(row)
    return plan
