"""Notification test helpers: one scenario per kind of notification, made through the real services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from partnerdesk.accounts.choices import NotificationKind, Role
from partnerdesk.accounts.models import User
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.tickets import services
from partnerdesk.tickets.choices import Level, MessageKind
from partnerdesk.tickets.models import Ticket
from tests.contracts.conftest import book, make_contract
from tests.tickets.conftest import captured_ticket

# What the vendor must never read of the end customer (R1.3, R9.1): contact person, address, organisation.
SECRETS = ("Jens Hansen", "jens@hansen.example", "Bäckerei Hansen KG")
# Partner-written texts that carry them.
SUBJECT = "VPN drops for Jens Hansen at Bäckerei Hansen KG"
PARTNER_TEXT = "Jens Hansen (jens@hansen.example) of Bäckerei Hansen KG still sees the drops."


def escalated(world: Any) -> Ticket:
    """A completely captured ticket, created by L1 (who follows it), escalated by L1 to second level."""
    make_contract(world, "L")
    ticket = captured_ticket(world, subject=SUBJECT, description=PARTNER_TEXT)
    return services.escalate_to_second_level(acting_user=world.user(Role.L1_AGENT), ticket=ticket, note=PARTNER_TEXT)


def first_level(world: Any) -> Ticket:
    make_contract(world, "L")
    return captured_ticket(world, subject=SUBJECT, description=PARTNER_TEXT)


def rows_after(pk: int, **filters: Any) -> list[OutboxMessage]:
    """The outbox rows written since `pk`, once the worker's step that writes notifications has run."""
    from partnerdesk.outbox.events import run_deferred

    run_deferred()
    return list(OutboxMessage.objects.filter(pk__gt=pk, **filters).order_by("pk"))


def last_pk() -> int:
    """The newest outbox row, after the notifications of everything before have been written."""
    from partnerdesk.outbox.events import run_deferred

    run_deferred()
    row = OutboxMessage.objects.order_by("-pk").first()
    return row.pk if row else 0


def to(rows: list[OutboxMessage]) -> list[str]:
    return sorted(address for row in rows for address in row.to)


@dataclass(frozen=True)
class Scenario:
    """A change that causes one kind of notification: who acts, who is told (by role), the outbox kind."""

    kind: str
    prepare: Callable[[Any], Any]  # the world before the change (e.g. an escalated ticket)
    act: Callable[[Any, Any], Any]  # the change
    recipient: str  # a role told of it
    actor: str | None  # the role acting (never told)
    german: str  # in the recipient's German subject
    english: str  # in its English subject
    outbox_kind: str = ""
    ticket_mail: bool = True

    @property
    def row_kind(self) -> str:
        return self.outbox_kind or self.kind

    def __str__(self) -> str:
        return self.kind


def _overdue(world: Any) -> Ticket:
    ticket = escalated(world)
    Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    return ticket


SCENARIOS = [
    Scenario(
        NotificationKind.VENDOR_MESSAGE,
        escalated,
        lambda w, t: services.post_message(
            acting_user=w.user(Role.L2_AGENT), ticket=t, kind=MessageKind.THREAD, body="Please send the logs."
        ),
        recipient=Role.L1_AGENT,
        actor=Role.L2_AGENT,
        german="Neue Nachricht vom Hersteller",
        english="New message from the vendor",
    ),
    Scenario(
        NotificationKind.TICKET_ESCALATED,
        first_level,
        lambda w, t: services.escalate_to_second_level(acting_user=w.user(Role.L1_AGENT), ticket=t, note=PARTNER_TEXT),
        recipient=Role.L2_AGENT,
        actor=Role.L1_AGENT,
        german="Eskaliert von",
        english="Escalated by",
    ),
    Scenario(
        NotificationKind.TICKET_HANDED_BACK,
        escalated,
        lambda w, t: services.hand_back(
            acting_user=w.user(Role.L2_AGENT), ticket=t, reason="answered", message="Set DPD to 60 s."
        ),
        recipient=Role.L1_AGENT,
        actor=Role.L2_AGENT,
        german="An Sie zurückgegeben",
        english="Handed back to you",
    ),
    Scenario(
        NotificationKind.TICKET_THIRD_LEVEL,
        escalated,
        lambda w, t: services.escalate(acting_user=w.user(Role.L2_AGENT), ticket=t, level=Level.THIRD),
        recipient=Role.L1_AGENT,
        actor=Role.L2_AGENT,
        german="In den Third-Level verschoben",
        english="Moved to third level",
    ),
    Scenario(
        NotificationKind.TICKET_RESOLVED,
        escalated,
        lambda w, t: services.resolve(acting_user=w.user(Role.L2_AGENT), ticket=t, note="Fixed in 4.2.2."),
        recipient=Role.L1_AGENT,
        actor=Role.L2_AGENT,
        german="Gelöst",
        english="Resolved",
    ),
    Scenario(
        NotificationKind.PARTNER_MESSAGE,
        escalated,
        lambda w, t: services.post_message(
            acting_user=w.user(Role.L1_AGENT), ticket=t, kind=MessageKind.THREAD, body=PARTNER_TEXT
        ),
        recipient=Role.L2_AGENT,
        actor=Role.L1_AGENT,
        german="Neue Nachricht von",
        english="New message from",
    ),
    Scenario(
        NotificationKind.QUOTA_THRESHOLD,
        escalated,
        lambda w, t: book(w.user(Role.L2_AGENT), t, 400),  # 6 h 40 min of 8 h: past 75 %
        recipient=Role.PARTNER_ADMIN,
        actor=None,
        german="der Inklusivzeit",
        english="of the included time",
        outbox_kind="quota_notice",
        ticket_mail=False,
    ),
    Scenario(
        NotificationKind.BREACH_RISK,
        _overdue,
        lambda w, t: services.notify_breach_risks(),
        recipient=Role.L2_AGENT,
        actor=None,
        german="Service-Level gefährdet",
        english="Service level at risk",
    ),
]


def _callback_requested(world: Any, ticket: Ticket) -> Any:
    from partnerdesk.channels.appointments import request_callback
    from partnerdesk.tickets.clocks import vendor_calendar

    start, end = vendor_calendar().next_open_slots(timezone.now() + timedelta(days=1), timedelta(hours=2), 1)[0]
    return request_callback(
        acting_user=world.user(Role.L1_AGENT),
        ticket=ticket,
        topic=PARTNER_TEXT[:200],
        wished_from=start,
        wished_until=end,
        phone="+49 431 1234",
    )


SCENARIOS.append(
    Scenario(
        NotificationKind.APPOINTMENT,
        escalated,
        _callback_requested,
        recipient=Role.L2_AGENT,
        actor=Role.L1_AGENT,
        german="Rückruf",
        english="Callback",
    )
)


def german(user: User) -> User:
    user.language = "de"
    user.save(update_fields=["language"])
    return user
