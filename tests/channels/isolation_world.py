"""The channels' part of the tenant-isolation walk (tests/isolation.py): inboxes and originals of inbound mail;
callbacks and meetings of partner A and B, and one on a ticket still at first level (which the vendor does not see,
R1.2)."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.channels.addresses import reply_address
from partnerdesk.channels.choices import AppointmentKind, AppointmentState
from partnerdesk.channels.inbound import receive
from partnerdesk.channels.models import Appointment, MeetingParticipant
from tests.contact.conftest import escalated_ticket

from .conftest import build_mail


def extend_world(world: Any) -> None:
    """A mail in the vendor's inbox, one in each partner's inbox, and one delivered on each partner's ticket."""
    world.inbound_vendor_inbox = receive(build_mail(sender="walker@nowhere.example", subject="Stray")).mail.pk
    for suffix, l1 in (("a", world.users[Role.L1_AGENT]), ("b", world.outsider[Role.L1_AGENT])):
        partner, customer = getattr(world, f"partner_{suffix}"), getattr(world, f"customer_{suffix}")
        ticket = escalated_ticket(partner, customer, subject=f"Mailed ticket {suffix}")  # its own: others count
        quarantined = receive(build_mail(sender=f"stranger-{suffix}@nowhere.example", to=reply_address(ticket.pk)))
        delivered = receive(build_mail(sender=l1.email, to=reply_address(ticket.pk), body=f"Thread mail {suffix}"))
        setattr(world, f"inbound_inbox_{suffix}", quarantined.mail.pk)
        setattr(world, f"inbound_delivered_{suffix}", delivered.mail.pk)


def _own(world: Any, user: User) -> int:
    if user.role == Role.VENDOR_ADMIN:
        return world.inbound_vendor_inbox
    if user.role == Role.PARTNER_ADMIN:
        return world.inbound_inbox_a
    return world.inbound_delivered_a


def _foreign(world: Any, user: User) -> int:
    return world.inbound_inbox_b if user.is_partner else world.inbound_inbox_a


def _appointments_on(world: Any, ticket: Any, suffix: str, l1: User, index: int) -> None:
    # Far off, an hour apart: the walk's own attempts never clash, nor do these (one agent, exclusion constraint).
    start = timezone.now() + timedelta(days=400, hours=index)
    callback = Appointment.objects.create(
        ticket=ticket,
        kind=AppointmentKind.CALLBACK,
        state=AppointmentState.REQUESTED,
        requested_by=l1,
        topic=f"Walker callback {suffix}",
        phone="+49 30 1",
        wished_from=start,
        wished_until=start + timedelta(hours=2),
    )
    meeting = Appointment.objects.create(
        ticket=ticket,
        kind=AppointmentKind.WEB_MEETING,
        state=AppointmentState.SCHEDULED,
        requested_by=world.user(Role.L2_AGENT),
        agent=world.user(Role.L2_AGENT),
        starts_at=start + timedelta(days=1),
        ends_at=start + timedelta(days=1, minutes=30),
        join_url="https://meet.example/walker",
        uid=f"walker-{suffix}",
    )
    MeetingParticipant.objects.create(appointment=meeting, user=l1)
    setattr(world, f"channels_callback_{suffix}", callback)
    setattr(world, f"channels_meeting_{suffix}", meeting)


def extend_appointments(world: Any) -> None:
    _appointments_on(world, world.contracts_ticket_a, "a", world.users[Role.L1_AGENT], 0)
    _appointments_on(world, world.contracts_ticket_b, "b", world.outsider[Role.L1_AGENT], 1)
    _appointments_on(world, world.contracts_first_level_ticket_a, "first_level_a", world.users[Role.L1_AGENT], 2)


def _foreign_appointment(name: str) -> Any:
    def foreign(world: Any, user: User) -> int:
        return getattr(world, f"channels_{name}_{'b' if user.is_partner else 'first_level_a'}").pk

    return foreign


def register(isolation: ModuleType) -> None:
    isolation.ID_KINDS.setdefault("mail_id", isolation.IdKind(own=_own, foreign=_foreign))
    isolation.WORLD_EXTENSIONS.append(extend_world)
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault(
        "callback_id", kind(own=lambda w, u: w.channels_callback_a.pk, foreign=_foreign_appointment("callback"))
    )
    isolation.ID_KINDS.setdefault(
        "meeting_id", kind(own=lambda w, u: w.channels_meeting_a.pk, foreign=_foreign_appointment("meeting"))
    )
    isolation.ID_KINDS.setdefault(
        "appointment_id", kind(own=lambda w, u: w.channels_meeting_a.pk, foreign=_foreign_appointment("meeting"))
    )
    # Vendor staff: a partner's user is no agent, for anyone.
    isolation.ID_KINDS.setdefault(
        "agent_id", kind(own=lambda w, u: w.users[Role.L2_AGENT].pk, foreign=lambda w, u: w.outsider[Role.L1_AGENT].pk)
    )
    # Participants and consenting users of partner A's ticket: partner B's users are foreign to everyone.
    for name in ("participant_user_id", "consenting_user_id"):
        isolation.ID_KINDS.setdefault(
            name, kind(own=lambda w, u: w.users[Role.L1_AGENT].pk, foreign=lambda w, u: w.outsider[Role.L1_AGENT].pk)
        )
    # Not a row: the remote-maintenance tool's own session number.
    isolation.ID_KINDS.setdefault("session_id", kind(own=lambda w, u: "123 456 789", foreign=lambda w, u: None))
    isolation.WORLD_EXTENSIONS.append(extend_appointments)
