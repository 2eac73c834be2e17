"""Every read of tickets that depends on who asks; the only place that filters tickets by tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from partnerdesk.accounts.masking import redact_for_vendor
from partnerdesk.accounts.models import User

from .choices import Level, MessageKind, TicketState
from .models import Attachment, Message, ProductDefect, Ticket, TicketTransition


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Partner users see their own partner's tickets (R1.1); the vendor sees escalated ones only (R1.2)."""
    queryset = Ticket.objects.select_related("partner", "end_customer__partner")
    if not user.is_active:
        return queryset.none()
    if user.is_vendor:
        # Escalated now, or handed back after an escalation: never tickets still at first level.
        return queryset.filter(Q(level__gte=Level.SECOND) | Q(escalated_at__isnull=False))
    return queryset.filter(partner_id=user.partner_id)


# The vendor's queue: what is waiting for the vendor, at second or third level.
VENDOR_QUEUE_STATES = (TicketState.ESCALATED, TicketState.THIRD_LEVEL)
TICKET_ORDERINGS = ("due", "-created_at", "created_at")


def ticket_list(
    user: User,
    *,
    states: Iterable[str] | None = None,
    level: int | None = None,
    end_customer_id: int | None = None,
    category: str | None = None,
    due_before: datetime | None = None,
    q: str | None = None,
    ordering: str = "-created_at",
) -> QuerySet[Ticket]:
    """The tickets the user may see, filtered and ordered: one list for the API and the pages.

    ``due`` puts tickets without a running clock last (the index's own NULLS LAST order on PostgreSQL).
    """
    tickets = tickets_visible_to(user)
    if states:
        tickets = tickets.filter(state__in=list(states))
    if level is not None:
        tickets = tickets.filter(level=level)
    if end_customer_id is not None:
        tickets = tickets.filter(end_customer_id=end_customer_id)
    if category:
        tickets = tickets.filter(category=category)
    if due_before is not None:
        tickets = tickets.filter(due_at__lt=due_before)
    if q and q.strip():
        tickets = tickets.filter(subject__icontains=q.strip())
    if ordering == "due":
        return tickets.order_by(F("due_at").asc(nulls_last=True), "id")
    if ordering not in TICKET_ORDERINGS:
        raise ValueError(f"unknown ordering {ordering!r}")
    return tickets.order_by(ordering, "-id" if ordering.startswith("-") else "id")


def messages_visible_to(user: User, ticket: Ticket) -> QuerySet[Message]:
    """Partner: everything but the vendor's internal notes. Vendor: the thread, its own notes, and the
    first-level correspondence the partner shared at escalation; never partner-internal notes (R5.5, R5.9)."""
    queryset = Message.objects.filter(ticket=ticket)
    if user.is_vendor:
        return queryset.filter(
            Q(kind__in=[MessageKind.THREAD, MessageKind.VENDOR_NOTE])
            | Q(kind=MessageKind.END_CUSTOMER, shared_with_vendor=True)
        )
    return queryset.exclude(kind=MessageKind.VENDOR_NOTE)


def attachments_visible_to(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    queryset = Attachment.objects.filter(ticket=ticket)
    if user.is_vendor:
        return queryset.filter(shared_with_vendor=True).exclude(kind=MessageKind.PARTNER_NOTE)
    return queryset.exclude(kind=MessageKind.VENDOR_NOTE)


def defects_visible_to(user: User) -> QuerySet[ProductDefect]:
    """The vendor sees every defect; a partner those linked to its own tickets (R5.10)."""
    if user.is_vendor:
        return ProductDefect.objects.all()
    return ProductDefect.objects.filter(tickets__partner_id=user.partner_id).distinct()


def transitions_visible_to(user: User, ticket: Ticket) -> QuerySet[TicketTransition]:
    return TicketTransition.objects.filter(ticket=ticket).select_related("actor")


def ticket_figures(user: User) -> dict[str, int]:
    """The overview's numbers: what waits for this user's side (one query)."""
    tickets = tickets_visible_to(user)
    if user.is_vendor:
        return tickets.aggregate(
            queue=Count("pk", filter=Q(state__in=[TicketState.ESCALATED, TicketState.THIRD_LEVEL])),
            overdue=Count(
                "pk", filter=Q(state__in=[TicketState.ESCALATED, TicketState.THIRD_LEVEL], due_at__lt=timezone.now())
            ),
            waiting=Count("pk", filter=Q(state=TicketState.WAITING_FOR_PARTNER)),
        )
    return tickets.aggregate(
        open=Count("pk", filter=~Q(state__in=[TicketState.RESOLVED, TicketState.CLOSED])),
        waiting=Count("pk", filter=Q(state=TicketState.WAITING_FOR_PARTNER)),
        escalated=Count("pk", filter=Q(state__in=[TicketState.ESCALATED, TicketState.THIRD_LEVEL])),
    )


def text_shown_to(user: User, ticket: Ticket, text: str) -> str:
    """Text from the partner's side as this user may read it: for the vendor, the end customer's contact
    persons are masked, because stored correspondence outlives any authorisation (R9.1)."""
    if not user.is_vendor or not text:
        return text
    return redact_for_vendor(text, end_customer=ticket.end_customer)
