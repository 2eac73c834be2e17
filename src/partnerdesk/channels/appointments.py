"""Writes of callbacks, web meetings and remote sessions (R6.4, R7.2-R7.4, R9.3).

Every write runs in one transaction, takes the agent's lock before it looks at the agent's time (no double
booking, ``locks.lock_agent``), writes an ``AppointmentChange`` row and publishes ``appointment.changed`` (the
notifications tell both sides). What was held becomes a time entry through the worklog's booking service.

Contact with an end customer passes the contact gate (``contact.gate``) with the channel it uses: a callback to
an end customer's contact person ("call") when it is scheduled and again when it is logged; a meeting's
end-customer participant ("web meeting") for each invitation, update and cancellation; a remote session on an
end customer's system ("remote maintenance") when it is recorded. The gate's check before acting
(``authorize_contact``) runs outside the write's transaction, so that a refusal's audit row stays.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import PARTNER_ROLES
from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.accounts.validation import FieldErrors, add_error, choose_one_of, is_one_line
from partnerdesk.contact.branding import effective_brand
from partnerdesk.contact.choices import Channel
from partnerdesk.contact.gate import ContactMoment, ContactPermit, ContactRefused, authorize_contact, log_refusal
from partnerdesk.contact.gate import perform_contact as gate_perform_contact
from partnerdesk.outbox import events
from partnerdesk.tickets.models import Ticket
from partnerdesk.worklog import services as worklog_services
from partnerdesk.worklog.choices import Activity

from . import invitations, locks, scheduling
from .choices import (
    MAX_APPOINTMENT_MINUTES,
    MAX_JOIN_URL,
    MAX_NOTES,
    MAX_PARTICIPANTS,
    MAX_TOPIC,
    AppointmentChangeKind,
    AppointmentKind,
    AppointmentState,
    CallOutcome,
    RemoteTool,
)
from .models import Appointment, AppointmentChange, MeetingParticipant

T = TypeVar("T")

MAX_PHONE = 40
# A log's end a little in the future is clock skew.
END_CLOCK_TOLERANCE = timedelta(minutes=5)


# --- shared checks ------------------------------------------------------------------------------------


def _ensure_vendor_agent(agent: User | None, field: str = "agent_id") -> User:
    if agent is None or not agent.is_active or not agent.is_vendor or agent.role not in scheduling.AGENT_ROLES:
        raise ValidationError({field: _("Choose an active agent of the vendor's support.")})
    return agent


def _ensure_vendor_ticket(ticket: Ticket) -> None:
    if not ticket.is_escalated and ticket.escalated_at is None:
        raise ValidationError({"ticket_id": _("Appointments are made on escalated tickets only.")})


def _ensure_minutes(minutes: Any, field: str = "minutes") -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_APPOINTMENT_MINUTES:
        raise ValidationError({field: _("Enter between 1 and %(max)s minutes.") % {"max": MAX_APPOINTMENT_MINUTES}})
    return minutes


def _ensure_aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise ValidationError({field: _("Enter a date and time as ISO 8601 with a time zone.")})
    return value


def _text(value: Any, field: str, limit: int, errors: FieldErrors, *, one_line: bool = False) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        add_error(errors, field, _("Enter text."))
    elif len(text) > limit:
        add_error(errors, field, _("Use at most %(max)s characters.") % {"max": limit})
    elif one_line and not is_one_line(text):
        add_error(errors, field, _("Use one line without line breaks or other control characters."))
    return text


def _held_minutes(started_at: Any, ended_at: Any) -> int:
    """The minutes of what was held, refused when the times are not a past span of at most a working day."""
    started_at = _ensure_aware(started_at, "started_at")
    ended_at = _ensure_aware(ended_at, "ended_at")
    if ended_at <= started_at:
        raise ValidationError({"ended_at": _("The end must lie after the start.")})
    if ended_at > timezone.now() + END_CLOCK_TOLERANCE:
        raise ValidationError({"ended_at": _("Log what has been held: the end cannot lie in the future.")})
    minutes = math.ceil((ended_at - started_at).total_seconds() / 60)
    if minutes > MAX_APPOINTMENT_MINUTES:
        raise ValidationError(
            {"ended_at": _("Enter between 1 and %(max)s minutes.") % {"max": MAX_APPOINTMENT_MINUTES}}
        )
    return minutes


def _change(appointment: Appointment, kind: str, actor: User, **detail: Any) -> AppointmentChange:
    change = AppointmentChange.objects.create(
        appointment=appointment, kind=kind, at=timezone.now(), actor=actor, detail=detail
    )
    events.publish(
        events.APPOINTMENT_CHANGED,
        partner_id=appointment.ticket.partner_id,
        data={"appointment": appointment.pk, "change": change.pk, "kind": kind},
        actor_id=actor.pk,
    )
    return change


def _save_busy(appointment: Appointment) -> Appointment:
    """Save an appointment that holds its agent's time; the PostgreSQL exclusion constraint is the backstop of
    the check made under the agent's lock."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if "appointment_agent_no_overlap" not in str(exc):
            raise
        raise ValidationError({"starts_at": _("The agent already has an appointment then.")}) from exc
    return appointment


def _book(appointment: Appointment, *, acting_user: User, activity: str, minutes: int, text: str) -> None:
    """What was held becomes a time entry (R7.2-R7.4) through the worklog's booking service (R4.1-R4.5)."""
    assert appointment.held_from is not None  # noqa: S101 - set by the caller
    entry = worklog_services.book_time_entry(
        acting_user=acting_user,
        ticket=appointment.ticket,
        started_at=appointment.held_from,
        minutes=minutes,
        activity=activity,
        text=text[:4000],
    )
    appointment.time_entry = entry


def _check_gate(*, acting_user: User, ticket: Ticket, person: ContactPerson, channel: str) -> ContactPermit:
    """The gate's check before acting, outside the write's transaction: its refusal's audit row stays (R9.3)."""
    return authorize_contact(acting_user=acting_user, ticket=ticket, contact_person=person, channel=channel)


def _relogged(refused: ContactRefused, *, acting_user: User, ticket: Ticket, channel: str, person_id: int) -> None:
    """A refusal at the moment of acting inside a larger write: that write rolled back with the refusal's audit
    row, so the row is written again after the rollback (R9.3: every refused attempt is logged)."""
    log_refusal(
        refused, acting_user=acting_user, ticket=ticket, channel=channel, stage="act", contact_person_id=person_id
    )


# --- callbacks (R7.2) ---------------------------------------------------------------------------------


def request_callback(
    *,
    acting_user: User,
    ticket: Ticket,
    topic: str,
    wished_from: datetime,
    wished_until: datetime,
    phone: str = "",
    contact_person: ContactPerson | None = None,
) -> Appointment:
    """The partner asks for a call on an escalated ticket: a number (its own, or an end customer's contact
    person's), a topic and a wished window that must overlap support hours (R6.4)."""
    ensure_role(acting_user, *PARTNER_ROLES)
    if ticket.partner_id != acting_user.partner_id:
        raise PermissionDenied(_("Your role does not allow this action."))
    _ensure_vendor_ticket(ticket)
    errors: FieldErrors = {}
    topic = _text(topic, "topic", MAX_TOPIC, errors, one_line=True)
    if not topic and "topic" not in errors:
        add_error(errors, "topic", _("This field is required."))
    phone = _text(phone, "phone", MAX_PHONE, errors, one_line=True)
    if contact_person is not None:
        if contact_person.end_customer_id != ticket.end_customer_id:
            add_error(errors, "contact_person_id", _("Choose a contact person of the ticket's end customer."))
        elif not contact_person.phone:
            add_error(errors, "contact_person_id", _("The contact person has no phone number."))
        phone = ""  # the end customer's number stays with its contact person (R9.1)
    elif not phone and "phone" not in errors:
        add_error(errors, "phone", _("Give the number to call, or choose a contact person."))
    if errors:
        raise ValidationError(errors)
    wished_from = scheduling.ensure_in_calendar(_ensure_aware(wished_from, "wished_from"), "wished_from")
    wished_until = scheduling.ensure_in_calendar(_ensure_aware(wished_until, "wished_until"), "wished_until")
    if wished_until <= wished_from:
        raise ValidationError({"wished_until": _("The end must lie after the start.")})
    now = timezone.now()
    calendar = scheduling.vendor_calendar()
    if wished_until <= now or calendar.between(max(wished_from, now), wished_until) <= timedelta(0):
        raise scheduling.SlotRefused(
            "wished_from",
            _("The wished window lies outside support hours."),
            scheduling.free_slots(
                duration=timedelta(minutes=30), after=max(wished_from, now), count=scheduling.OFFERED_SLOTS
            ),
        )
    with transaction.atomic():
        callback = Appointment.objects.create(
            ticket=ticket,
            kind=AppointmentKind.CALLBACK,
            state=AppointmentState.REQUESTED,
            requested_by=acting_user,
            topic=topic,
            phone=phone,
            contact_person=contact_person,
            wished_from=wished_from,
            wished_until=wished_until,
        )
        _change(callback, AppointmentChangeKind.REQUESTED, acting_user)
    return callback


def schedule_callback(
    *, acting_user: User, callback: Appointment, agent: User, starts_at: datetime, minutes: int = 30
) -> Appointment:
    """The vendor gives a requested callback its agent and time (inside support hours, the agent free); a call
    to an end customer needs the partner's authorisation with channel "call" now (R9.3)."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    _ensure_vendor_agent(agent)
    minutes = _ensure_minutes(minutes)
    starts_at = _ensure_aware(starts_at, "starts_at")
    if callback.kind != AppointmentKind.CALLBACK:
        raise ValidationError({"callback_id": _("This is not a callback.")})
    if callback.contact_person is not None:
        _check_gate(
            acting_user=acting_user, ticket=callback.ticket, person=callback.contact_person, channel=Channel.CALL
        )
    with transaction.atomic():
        locks.lock_agent(agent.pk)
        row = locks.lock_appointment(callback.pk)
        if not row.is_open:
            raise ValidationError({"state": _("This callback has already been logged or cancelled.")})
        ends_at = scheduling.check_slot(starts_at=starts_at, minutes=minutes, agent_id=agent.pk, excluding=row.pk)
        kind = (
            AppointmentChangeKind.RESCHEDULED
            if row.state == AppointmentState.SCHEDULED
            else AppointmentChangeKind.SCHEDULED
        )
        row.agent, row.starts_at, row.ends_at, row.state = agent, starts_at, ends_at, AppointmentState.SCHEDULED
        _save_busy(row)
        _change(row, kind, acting_user, agent=agent.pk, starts_at=starts_at.isoformat(), minutes=minutes)
    return row


def log_callback(
    *,
    acting_user: User,
    callback: Appointment,
    started_at: datetime,
    ended_at: datetime,
    outcome: str,
    notes: str = "",
) -> Appointment:
    """The agent logs the call: start, end, outcome, notes; its minutes become a time entry (activity callback).
    A call to an end customer is checked at the gate again now, and its contact is audited (R9.3, R9.4)."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    minutes = _held_minutes(started_at, ended_at)
    errors: FieldErrors = {}
    if outcome not in CallOutcome.values:
        add_error(errors, "outcome", choose_one_of(CallOutcome.values))
    notes = _text(notes, "notes", MAX_NOTES, errors)
    if errors:
        raise ValidationError(errors)
    if callback.kind != AppointmentKind.CALLBACK:
        raise ValidationError({"callback_id": _("This is not a callback.")})

    def write(_moment: ContactMoment | None = None) -> Appointment:
        row = locks.lock_appointment(callback.pk)
        if row.state != AppointmentState.SCHEDULED:
            raise ValidationError({"state": _("Only a scheduled callback can be logged.")})
        row.held_from, row.held_until, row.outcome, row.notes = started_at, ended_at, outcome, notes
        row.state = AppointmentState.HELD
        text = _("Callback: %(topic)s (%(outcome)s)") % {"topic": row.topic, "outcome": CallOutcome(outcome).label}
        _book(
            row, acting_user=acting_user, activity=Activity.CALLBACK, minutes=minutes, text=f"{text}\n{notes}".strip()
        )
        row.save()
        _change(row, AppointmentChangeKind.LOGGED, acting_user, minutes=minutes, outcome=outcome)
        return row

    if callback.contact_person is None:
        with transaction.atomic():
            return write()
    permit = _check_gate(
        acting_user=acting_user, ticket=callback.ticket, person=callback.contact_person, channel=Channel.CALL
    )

    def gated() -> Appointment:
        locks.lock_appointment(callback.pk)  # the appointment before the contact chain (the one order, locks.py)
        return gate_perform_contact(
            permit=permit,
            channel=Channel.CALL,
            act=write,
            describe=lambda row: {"callback": row.pk, "minutes": minutes},
        )

    return _run_gated(acting_user, callback.ticket, gated, channel=Channel.CALL)


# --- web meetings (R7.3) ------------------------------------------------------------------------------


def join_link(*, pasted: str, uid: str, meeting_id: int, ticket_id: int) -> str:
    """The pasted link, or the vendor's meeting service's link from PARTNERDESK_MEETING_LINK_TEMPLATE."""
    link = (pasted or "").strip()
    if not link and settings.PARTNERDESK_MEETING_LINK_TEMPLATE:
        link = settings.PARTNERDESK_MEETING_LINK_TEMPLATE.format(
            uid=uid.partition("@")[0], meeting=meeting_id, ticket=ticket_id
        )
    if not link:
        raise ValidationError({"join_url": _("Paste the meeting's join link (no link template is set).")})
    if len(link) > MAX_JOIN_URL:
        raise ValidationError({"join_url": _("Use at most %(max)s characters.") % {"max": MAX_JOIN_URL}})
    try:
        URLValidator(schemes=["https"])(link)
    except ValidationError:
        raise ValidationError({"join_url": _("Enter an https:// link.")}) from None
    return link


def _participant_users(ticket: Ticket, users: Sequence[User]) -> list[User]:
    chosen: dict[int, User] = {}
    for user in users:
        if not user.is_active or not (user.is_vendor or user.partner_id == ticket.partner_id):
            raise ValidationError({"participants": _("Invite users of the ticket's partner or of the vendor.")})
        chosen[user.pk] = user
    return list(chosen.values())


def _persons(ticket: Ticket, persons: Sequence[ContactPerson]) -> list[ContactPerson]:
    chosen: dict[int, ContactPerson] = {}
    for person in persons:
        if person.end_customer_id != ticket.end_customer_id:
            raise ValidationError({"participants": _("Choose contact persons of the ticket's end customer.")})
        if not person.email:
            raise ValidationError({"participants": _("The contact person has no e-mail address.")})
        chosen[person.pk] = person
    return list(chosen.values())


def _staff_of(meeting: Appointment) -> list[User]:
    rows = MeetingParticipant.objects.filter(appointment=meeting, user__isnull=False).select_related("user")
    return [p.user for p in rows if p.user is not None]


def _persons_of(meeting: Appointment) -> list[ContactPerson]:
    rows = MeetingParticipant.objects.filter(appointment=meeting, contact_person__isnull=False).select_related(
        "contact_person"
    )
    return [p.contact_person for p in rows if p.contact_person is not None]


def _invite_end_customers(meeting: Appointment, permits: list[tuple[ContactPerson, ContactPermit]]) -> None:
    """Each end customer's invitation, written to the outbox at the moment of acting (``perform_contact``), from
    the sender the partner chose (R9.6)."""
    for person, permit in permits:

        def act(moment: ContactMoment, person: ContactPerson = person) -> int:
            brand = effective_brand(partner=moment.ticket.partner, appear_as=moment.authorization.appear_as)
            invitations.enqueue_end_customer_invitation(
                meeting,
                person,
                sender=brand.sender,
                sender_name=brand.sender_name or brand.name,
                sender_email=brand.sender_email,
                language=brand.language,
            )
            return meeting.pk

        gate_perform_contact(
            permit=permit,
            channel=Channel.WEB_MEETING,
            act=act,
            describe=lambda pk: {"meeting": pk, "method": invitations.method_of(meeting), "sequence": meeting.sequence},
        )


def _gated(
    *, acting_user: User, ticket: Ticket, persons: list[ContactPerson], skip_refused: bool = False
) -> list[tuple[ContactPerson, ContactPermit]]:
    permits = []
    for person in persons:
        try:
            permits.append(
                (
                    person,
                    _check_gate(acting_user=acting_user, ticket=ticket, person=person, channel=Channel.WEB_MEETING),
                )
            )
        except ContactRefused:
            if not skip_refused:
                raise
    return permits


def _send_all(*, acting_user: User, meeting: Appointment, permits: list[tuple[ContactPerson, ContactPermit]]) -> None:
    invitations.enqueue_staff_invitations(meeting, _staff_of(meeting))
    _invite_end_customers(meeting, permits)


def _run_gated(acting_user: User, ticket: Ticket, write: Callable[[], T], channel: str = Channel.WEB_MEETING) -> T:
    """Run a write whose contact with an end customer acts inside it (``perform_contact``, after the write's own
    locks: agent, appointment, then the contact chain); a refusal at that moment rolls the whole write back and
    its audit row is written again afterwards."""
    try:
        with transaction.atomic():
            return write()
    except ContactRefused as refused:
        _relogged(
            refused,
            acting_user=acting_user,
            ticket=ticket,
            channel=channel,
            person_id=refused.contact_person_id or 0,
        )
        raise


def create_meeting(
    *,
    acting_user: User,
    ticket: Ticket,
    starts_at: datetime,
    minutes: int,
    join_url: str = "",
    topic: str = "",
    agent: User | None = None,
    users: Sequence[User] = (),
    contact_persons: Sequence[ContactPerson] = (),
) -> Appointment:
    """The vendor schedules a web meeting inside support hours with a join link, and the invitation goes to every
    participant through the outbox; an end customer's contact person only under the partner's authorisation with
    channel "web meeting", in the name the partner chose (R7.3, R9.2, R9.3, R9.6)."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    agent = _ensure_vendor_agent(agent or acting_user)
    _ensure_vendor_ticket(ticket)
    minutes = _ensure_minutes(minutes)
    starts_at = _ensure_aware(starts_at, "starts_at")
    errors: FieldErrors = {}
    topic = _text(topic, "topic", MAX_TOPIC, errors, one_line=True)
    if errors:
        raise ValidationError(errors)
    if len(users) + len(contact_persons) > MAX_PARTICIPANTS:
        raise ValidationError({"participants": _("Give at most %(n)s items.") % {"n": MAX_PARTICIPANTS}})
    staff = _participant_users(ticket, users)
    persons = _persons(ticket, contact_persons)
    if not staff and not persons:
        raise ValidationError({"participants": _("Invite at least one participant.")})
    # A bare UUID (RFC 7986 5.3): no domain, so an end customer's copy names no vendor domain (R9.6).
    uid = str(uuid.uuid4())
    link = join_link(pasted=join_url, uid=uid, meeting_id=0, ticket_id=ticket.pk) if join_url else ""
    permits = _gated(acting_user=acting_user, ticket=ticket, persons=persons)

    def write() -> Appointment:
        locks.lock_agent(agent.pk)
        ends_at = scheduling.check_slot(starts_at=starts_at, minutes=minutes, agent_id=agent.pk)
        meeting = Appointment(
            ticket=ticket,
            kind=AppointmentKind.WEB_MEETING,
            state=AppointmentState.SCHEDULED,
            requested_by=acting_user,
            agent=agent,
            starts_at=starts_at,
            ends_at=ends_at,
            topic=topic,
            join_url=link,
            uid=uid,
        )
        _save_busy(meeting)
        if not link:
            meeting.join_url = join_link(pasted="", uid=uid, meeting_id=meeting.pk, ticket_id=ticket.pk)
            meeting.save(update_fields=["join_url"])
        everyone = staff if any(u.pk == agent.pk for u in staff) else [agent, *staff]
        MeetingParticipant.objects.bulk_create(
            [MeetingParticipant(appointment=meeting, user=u) for u in everyone]
            + [MeetingParticipant(appointment=meeting, contact_person=p) for p in persons]
        )
        _send_all(acting_user=acting_user, meeting=meeting, permits=permits)
        _change(meeting, AppointmentChangeKind.SCHEDULED, acting_user, starts_at=starts_at.isoformat(), minutes=minutes)
        return meeting

    return _run_gated(acting_user, ticket, write)


def _meeting_for_change(meeting: Appointment) -> Appointment:
    if meeting.kind != AppointmentKind.WEB_MEETING:
        raise ValidationError({"meeting_id": _("This is not a web meeting.")})
    return meeting


def reschedule_meeting(*, acting_user: User, meeting: Appointment, starts_at: datetime, minutes: int) -> Appointment:
    """A new time for a scheduled meeting: checked like a new one, and every participant gets the update (same
    UID, SEQUENCE one higher). An end-customer participant no longer authorised refuses the move (cancel instead)."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    _meeting_for_change(meeting)
    minutes = _ensure_minutes(minutes)
    starts_at = _ensure_aware(starts_at, "starts_at")
    permits = _gated(acting_user=acting_user, ticket=meeting.ticket, persons=_persons_of(meeting))

    def write() -> Appointment:
        assert meeting.agent_id is not None  # noqa: S101 - a meeting always has its agent
        locks.lock_agent(meeting.agent_id)
        row = locks.lock_appointment(meeting.pk)
        if row.state != AppointmentState.SCHEDULED:
            raise ValidationError({"state": _("Only a scheduled meeting can be moved.")})
        assert row.agent_id is not None  # noqa: S101
        row.ends_at = scheduling.check_slot(
            starts_at=starts_at, minutes=minutes, agent_id=row.agent_id, excluding=row.pk
        )
        row.starts_at = starts_at
        row.sequence += 1
        _save_busy(row)
        _send_all(acting_user=acting_user, meeting=row, permits=permits)
        _change(row, AppointmentChangeKind.RESCHEDULED, acting_user, starts_at=starts_at.isoformat(), minutes=minutes)
        return row

    return _run_gated(acting_user, meeting.ticket, write)


def cancel_meeting(*, acting_user: User, meeting: Appointment) -> Appointment:
    """Cancel a scheduled meeting: its agent's time is free again and every participant gets METHOD:CANCEL (same
    UID, SEQUENCE one higher). An end customer whose authorisation has ended is not written to (the refusal is
    logged); the partner, who is told, tells them."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    _meeting_for_change(meeting)
    permits = _gated(acting_user=acting_user, ticket=meeting.ticket, persons=_persons_of(meeting), skip_refused=True)

    def write() -> Appointment:
        row = locks.lock_appointment(meeting.pk)
        if row.state != AppointmentState.SCHEDULED:
            raise ValidationError({"state": _("Only a scheduled meeting can be cancelled.")})
        row.state = AppointmentState.CANCELLED
        row.sequence += 1
        row.save()
        _send_all(acting_user=acting_user, meeting=row, permits=permits)
        _change(row, AppointmentChangeKind.CANCELLED, acting_user)
        return row

    return _run_gated(acting_user, meeting.ticket, write)


def log_meeting(
    *, acting_user: User, meeting: Appointment, started_at: datetime, ended_at: datetime, notes: str = ""
) -> Appointment:
    """The meeting's held length becomes a time entry (activity web meeting, R7.3)."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    _meeting_for_change(meeting)
    minutes = _held_minutes(started_at, ended_at)
    errors: FieldErrors = {}
    notes = _text(notes, "notes", MAX_NOTES, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = locks.lock_appointment(meeting.pk)
        if row.state != AppointmentState.SCHEDULED:
            raise ValidationError({"state": _("Only a scheduled meeting can be logged.")})
        row.held_from, row.held_until, row.notes, row.state = started_at, ended_at, notes, AppointmentState.HELD
        text = _("Web meeting: %(topic)s") % {"topic": row.topic or "-"}
        _book(
            row,
            acting_user=acting_user,
            activity=Activity.WEB_MEETING,
            minutes=minutes,
            text=f"{text}\n{notes}".strip(),
        )
        row.save()
        _change(row, AppointmentChangeKind.LOGGED, acting_user, minutes=minutes)
    return row


# --- remote maintenance (R7.4) ------------------------------------------------------------------------


def record_remote_session(
    *,
    acting_user: User,
    ticket: Ticket,
    tool: str,
    session_id: str,
    started_at: datetime,
    ended_at: datetime,
    summary: str,
    contact_person: ContactPerson | None = None,
    consenting_user: User | None = None,
) -> Appointment:
    """A remote maintenance session the agent held (tool, session id, who consented, start, end, summary), as it
    happened (also past the end of support hours) and not clashing with the agent's other appointments, booked
    as a time entry. On an end customer's system the consenting
    contact person must be covered by a current authorisation with channel "remote maintenance" (R9.3); on the
    partner's own system a user of the partner consented."""
    ensure_role(acting_user, *scheduling.AGENT_ROLES)
    _ensure_vendor_agent(acting_user)
    _ensure_vendor_ticket(ticket)
    minutes = _held_minutes(started_at, ended_at)
    errors: FieldErrors = {}
    if tool not in RemoteTool.values:
        add_error(errors, "tool", choose_one_of(RemoteTool.values))
    session_id = _text(session_id, "session_id", 100, errors, one_line=True)
    if not session_id and "session_id" not in errors:
        add_error(errors, "session_id", _("This field is required."))
    summary = _text(summary, "summary", MAX_NOTES, errors)
    if not summary and "summary" not in errors:
        add_error(errors, "summary", _("This field is required."))
    if (contact_person is None) == (consenting_user is None):
        add_error(
            errors,
            "contact_person_id",
            _("Name who consented: the end customer's contact person or the partner's user."),
        )
    elif consenting_user is not None and (
        consenting_user.partner_id != ticket.partner_id or not consenting_user.is_active
    ):
        add_error(errors, "consenting_user_id", _("Choose an active user of the ticket's partner."))
    elif contact_person is not None and contact_person.end_customer_id != ticket.end_customer_id:
        add_error(errors, "contact_person_id", _("Choose a contact person of the ticket's end customer."))
    if errors:
        raise ValidationError(errors)

    def write(_moment: ContactMoment | None = None) -> Appointment:
        locks.lock_agent(acting_user.pk)  # first: the agent, then the contact chain (the one order, locks.py)
        scheduling.check_slot(
            starts_at=started_at,
            minutes=minutes,
            agent_id=acting_user.pk,
            field="started_at",
            future=False,
            in_hours=False,  # a record of work held: as it happened, also when it ran past the support hours
        )
        session = Appointment(
            ticket=ticket,
            kind=AppointmentKind.REMOTE_SESSION,
            state=AppointmentState.HELD,
            requested_by=acting_user,
            agent=acting_user,
            starts_at=started_at,
            ends_at=started_at + timedelta(minutes=minutes),
            held_from=started_at,
            held_until=ended_at,
            tool=tool,
            session_id=session_id,
            notes=summary,
            contact_person=contact_person,
            consenting_user=consenting_user,
        )
        _save_busy(session)
        text = _("Remote maintenance (%(tool)s %(session)s)") % {"tool": RemoteTool(tool).label, "session": session_id}
        _book(
            session,
            acting_user=acting_user,
            activity=Activity.REMOTE_MAINTENANCE,
            minutes=minutes,
            text=f"{text}\n{summary}",
        )
        session.save(update_fields=["time_entry"])
        _change(session, AppointmentChangeKind.LOGGED, acting_user, minutes=minutes)
        return session

    if contact_person is None:
        with transaction.atomic():
            return write()
    permit = _check_gate(
        acting_user=acting_user, ticket=ticket, person=contact_person, channel=Channel.REMOTE_MAINTENANCE
    )

    def gated() -> Appointment:
        locks.lock_agent(acting_user.pk)
        return gate_perform_contact(
            permit=permit,
            channel=Channel.REMOTE_MAINTENANCE,
            act=write,
            describe=lambda session: {"remote_session": session.pk, "minutes": minutes},
        )

    return _run_gated(acting_user, ticket, gated, channel=Channel.REMOTE_MAINTENANCE)
