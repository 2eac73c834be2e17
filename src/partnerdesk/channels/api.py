"""Channels API (R12.2): the inbox of inbound mail (R7.1); callbacks, web meetings and remote sessions (R6.4,
R7.2-R7.4) with the support-hours slots.

A time outside support hours (or past their end, or when the agent is taken) is a 422 naming the field, with
the next open slots in the body's ``slots``.
"""

# No `from __future__ import annotations` here: ninja's @paginate reads the wrapped view's annotations
# from its own module.
from datetime import datetime, timedelta
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, StrictInt

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict, asker
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to

from . import appointments, invitations, scheduling, selectors, services
from .choices import (
    MAX_APPOINTMENT_MINUTES,
    MAX_JOIN_URL,
    MAX_NOTES,
    MAX_PARTICIPANTS,
    MAX_TOPIC,
    AppointmentKind,
    InboundOutcome,
    QuarantineReason,
)
from .models import Appointment, InboundMail, MeetingParticipant

router = Router(tags=["inbound mail"])
appointments_router = Router(tags=["callbacks, web meetings, remote sessions"])


class InboundMailOut(Schema):
    id: int
    message_id: str
    received_at: datetime
    from_name: str
    from_address: str
    subject: str
    new_text: str = Field(..., description="The mail's own text, quoted history and signature removed.")
    outcome: InboundOutcome
    reason: QuarantineReason | None = Field(..., description="Why it waits in the inbox.")
    detail: str
    ticket_id: int | None = Field(..., description="The ticket it was addressed to or added to, if any.")
    attachment_names: list[str]
    original_url: str = Field(..., description="The original mail as plain text.")

    @staticmethod
    def resolve_reason(obj: InboundMail) -> str | None:
        return obj.reason or None

    @staticmethod
    def resolve_original_url(obj: InboundMail) -> str:
        return f"/mail/{obj.pk}/original/"


class AcceptIn(Strict):
    ticket_id: ObjectId | None = Field(None, description="Add the mail to this ticket as an internal note.")
    end_customer_id: ObjectId | None = Field(None, description="Open a first-level ticket for this end customer.")


class PassIn(Strict):
    partner_id: ObjectId = Field(..., description="The partner whose inbox takes the mail (vendor admin).")


def _inbox(request: HttpRequest) -> tuple[User, QuerySet[InboundMail] | None]:
    user = _user(request)
    return user, selectors.inbox_of(user)


def _mail(request: HttpRequest, mail_id: int) -> InboundMail:
    user, rows = _inbox(request)
    return account_selectors.get_visible_or_404(
        rows if rows is not None else InboundMail.objects.none(), mail_id, user=user
    )


@router.get(
    "/inbox",
    response=list[InboundMailOut],
    summary="Mail waiting in your inbox (vendor admin: the vendor's; partner admin: the partner's)",
)
@paginate(LimitOffset)
def list_inbox(request: HttpRequest, discarded: bool = False):  # type: ignore[no-untyped-def]
    user, rows = _inbox(request)
    if rows is None:
        raise PermissionDenied(_("Your role does not allow this action."))
    return rows.filter(outcome=InboundOutcome.DISCARDED if discarded else InboundOutcome.QUARANTINED)


@router.get("/inbox/{mail_id}", response=InboundMailOut, summary="One mail of your inbox")
def get_inbox_mail(request: HttpRequest, mail_id: ObjectId):  # type: ignore[no-untyped-def]
    return _mail(request, mail_id)


@router.post(
    "/inbox/{mail_id}/accept",
    response=InboundMailOut,
    summary="Take the mail in: onto a ticket (as an internal note) or as a new ticket for an end customer",
)
def accept_inbox_mail(request: HttpRequest, mail_id: ObjectId, payload: AcceptIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    mail = _mail(request, mail_id)
    # Ids from outside: foreign and missing ones look the same (404), as everywhere in the API (R1.1).
    ticket = (
        account_selectors.get_visible_or_404(tickets_visible_to(user), payload.ticket_id, user=user)
        if payload.ticket_id
        else None
    )
    customer = (
        account_selectors.get_visible_or_404(
            account_selectors.end_customers_visible_to(user), payload.end_customer_id, user=user
        )
        if payload.end_customer_id
        else None
    )
    return services.accept(acting_user=user, mail=mail, ticket=ticket, end_customer=customer)


@router.post("/inbox/{mail_id}/pass", response=InboundMailOut, summary="Pass a mail of the vendor's inbox to a partner")
def pass_inbox_mail(request: HttpRequest, mail_id: ObjectId, payload: PassIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    mail = _mail(request, mail_id)
    partner = account_selectors.get_visible_or_404(
        account_selectors.partners_visible_to(user), payload.partner_id, user=user
    )
    return services.pass_to_partner(acting_user=user, mail=mail, partner=partner)


@router.post("/inbox/{mail_id}/discard", response=InboundMailOut, summary="Discard a waiting mail (it can be restored)")
def discard_inbox_mail(request: HttpRequest, mail_id: ObjectId):  # type: ignore[no-untyped-def]
    return services.discard(acting_user=_user(request), mail=_mail(request, mail_id))


@router.post("/inbox/{mail_id}/restore", response=InboundMailOut, summary="Undo a discard")
def restore_inbox_mail(request: HttpRequest, mail_id: ObjectId):  # type: ignore[no-untyped-def]
    return services.restore(acting_user=_user(request), mail=_mail(request, mail_id))


# --- callbacks, web meetings, remote sessions -----------------------------------------------------------

StateName = Literal["requested", "scheduled", "held", "cancelled"]
OutcomeName = Literal["reached", "not_reached", "follow_up"]
ToolName = Literal["teamviewer", "anydesk", "rustdesk", "ssh", "other"]
MAX_SLOTS = 50


class SlotsQuery(Schema):
    duration: int = Field(30, ge=1, le=MAX_APPOINTMENT_MINUTES, description="Minutes")
    count: int = Field(5, ge=1, le=MAX_SLOTS)
    from_: AwareDatetime | None = Field(None, alias="from", description="Default: now")


class SlotOut(Schema):
    start: datetime
    end: datetime


class CallbackIn(Strict):
    topic: str = Field(..., max_length=MAX_TOPIC)
    wished_from: AwareDatetime
    wished_until: AwareDatetime
    phone: str = Field("", max_length=40, description="The number to call (the partner's own).")
    contact_person_id: ObjectId | None = Field(None, description="Call this contact person of the end customer.")


class ScheduleIn(Strict):
    agent_id: ObjectId
    starts_at: AwareDatetime
    minutes: StrictInt = Field(30, ge=1, le=MAX_APPOINTMENT_MINUTES)


class CallbackLogIn(Strict):
    started_at: AwareDatetime
    ended_at: AwareDatetime
    outcome: OutcomeName
    notes: str = Field("", max_length=MAX_NOTES)


class MeetingIn(Strict):
    starts_at: AwareDatetime
    minutes: StrictInt = Field(..., ge=1, le=MAX_APPOINTMENT_MINUTES)
    join_url: str = Field("", max_length=MAX_JOIN_URL, description="Empty: made from the link template setting.")
    topic: str = Field("", max_length=MAX_TOPIC)
    agent_id: ObjectId | None = Field(None, description="Who holds it; default: you.")
    participant_user_ids: list[ObjectId] = Field(default_factory=list, max_length=MAX_PARTICIPANTS)
    contact_person_ids: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_PARTICIPANTS, description="End-customer participants (R9.3)."
    )


class RescheduleIn(Strict):
    starts_at: AwareDatetime
    minutes: StrictInt = Field(..., ge=1, le=MAX_APPOINTMENT_MINUTES)


class HeldIn(Strict):
    started_at: AwareDatetime
    ended_at: AwareDatetime
    notes: str = Field("", max_length=MAX_NOTES)


class RemoteSessionIn(Strict):
    tool: ToolName
    session_id: str = Field(..., max_length=100)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    summary: str = Field(..., max_length=MAX_NOTES)
    contact_person_id: ObjectId | None = Field(None, description="On an end customer's system: who consented.")
    consenting_user_id: ObjectId | None = Field(None, description="On the partner's own system: who consented.")


class _AppointmentOut(Schema):
    id: int
    ticket_id: int
    state: StateName
    topic: str
    agent_id: int | None
    agent_name: str
    starts_at: datetime | None
    ends_at: datetime | None
    held_from: datetime | None
    held_until: datetime | None
    time_entry_id: int | None

    @staticmethod
    def resolve_agent_name(obj: Appointment) -> str:
        return str(obj.agent) if obj.agent is not None else ""


class CallbackOut(_AppointmentOut):
    phone: str
    contact_person_id: int | None
    wished_from: datetime | None
    wished_until: datetime | None
    outcome: OutcomeName | None
    notes: str

    @staticmethod
    def resolve_outcome(obj: Appointment) -> str | None:
        return obj.outcome or None


class ParticipantOut(Schema):
    user_id: int | None
    contact_person_id: int | None
    name: str = Field(..., description="Empty for a contact person when the vendor asks (R9.1).")


class MeetingOut(_AppointmentOut):
    minutes: int
    join_url: str
    uid: str
    sequence: int
    notes: str
    participants: list[ParticipantOut]

    @staticmethod
    def resolve_participants(obj: Appointment, context: Any) -> list[dict[str, Any]]:
        vendor = asker(context).is_vendor
        return [
            {
                "user_id": p.user_id,
                "contact_person_id": p.contact_person_id,
                "name": str(p.user) if p.user is not None else ("" if vendor else p.contact_person.name),
            }
            for p in obj.participants.all()
        ]


class RemoteSessionOut(_AppointmentOut):
    tool: ToolName
    session_id: str
    contact_person_id: int | None
    consenting_user_id: int | None
    summary: str

    @staticmethod
    def resolve_summary(obj: Appointment) -> str:
        return obj.notes


# --- lookups ------------------------------------------------------------------------------------------


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    user = _user(request)
    return account_selectors.get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)


def _rows(request: HttpRequest, kind: str) -> QuerySet[Appointment]:
    rows = selectors.appointments_visible_to(_user(request), kind=kind)
    if kind == AppointmentKind.WEB_MEETING:
        rows = rows.prefetch_related(
            Prefetch("participants", queryset=MeetingParticipant.objects.select_related("user", "contact_person"))
        )
    return rows


def _one(request: HttpRequest, kind: str, pk: int) -> Appointment:
    return account_selectors.get_visible_or_404(_rows(request, kind), pk, user=_user(request))


def _person(request: HttpRequest, ticket: Ticket, pk: int) -> ContactPerson:
    # The ticket's end customer's persons: another customer's (or partner's) person is a 404 like a missing one.
    persons = ContactPerson.objects.filter(end_customer_id=ticket.end_customer_id)
    return account_selectors.get_visible_or_404(persons, pk, user=_user(request))


def _agent(request: HttpRequest, pk: int) -> User:
    user = _user(request)
    staff = User.objects.filter(partner__isnull=True) if user.is_vendor else User.objects.none()
    return account_selectors.get_visible_or_404(staff, pk, user=user)


def _partner_user(request: HttpRequest, ticket: Ticket, pk: int, *, vendor_too: bool = False) -> User:
    users = User.objects.filter(partner_id=ticket.partner_id)
    if vendor_too and _user(request).is_vendor:
        users = users | User.objects.filter(partner__isnull=True)
    return account_selectors.get_visible_or_404(users, pk, user=_user(request))


# --- slots (R6.4) -------------------------------------------------------------------------------------


@appointments_router.get(
    "/support-hours/slots",
    response=list[SlotOut],
    summary="The next open slots of a length inside support hours, skipping the agents' booked time (R6.4)",
)
def list_slots(request: HttpRequest, query: Query[SlotsQuery]):  # type: ignore[no-untyped-def]
    now = timezone.now()
    after = scheduling.ensure_in_calendar(max(query.from_ or now, now), "from")
    slots = scheduling.free_slots(duration=timedelta(minutes=query.duration), after=after, count=query.count)
    return [SlotOut(start=start, end=end) for start, end in slots]


# --- callbacks (R7.2) ---------------------------------------------------------------------------------


@appointments_router.get(
    "/tickets/{ticket_id}/callbacks", response=list[CallbackOut], summary="The callbacks of a ticket"
)
@paginate(LimitOffset)
def list_callbacks(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    return _rows(request, AppointmentKind.CALLBACK).filter(ticket=ticket)


@appointments_router.post(
    "/tickets/{ticket_id}/callbacks",
    response={201: CallbackOut},
    summary="Ask the vendor for a call on an escalated ticket (partner): number, topic, wished window",
)
def request_callback(request: HttpRequest, ticket_id: ObjectId, payload: CallbackIn):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    person = _person(request, ticket, payload.contact_person_id) if payload.contact_person_id else None
    callback = appointments.request_callback(
        acting_user=_user(request),
        ticket=ticket,
        topic=payload.topic,
        wished_from=payload.wished_from,
        wished_until=payload.wished_until,
        phone=payload.phone,
        contact_person=person,
    )
    return Status(201, _one(request, AppointmentKind.CALLBACK, callback.pk))


@appointments_router.post(
    "/callbacks/{callback_id}/schedule",
    response=CallbackOut,
    summary="Give a callback its agent and time (vendor): inside support hours, the agent free",
)
def schedule_callback(request: HttpRequest, callback_id: ObjectId, payload: ScheduleIn):  # type: ignore[no-untyped-def]
    callback = _one(request, AppointmentKind.CALLBACK, callback_id)
    agent = _agent(request, payload.agent_id)
    appointments.schedule_callback(
        acting_user=_user(request), callback=callback, agent=agent, starts_at=payload.starts_at, minutes=payload.minutes
    )
    return _one(request, AppointmentKind.CALLBACK, callback_id)


@appointments_router.post(
    "/callbacks/{callback_id}/log",
    response=CallbackOut,
    summary="Log the call held (vendor): it becomes a time entry (activity callback)",
)
def log_callback(request: HttpRequest, callback_id: ObjectId, payload: CallbackLogIn):  # type: ignore[no-untyped-def]
    callback = _one(request, AppointmentKind.CALLBACK, callback_id)
    appointments.log_callback(
        acting_user=_user(request),
        callback=callback,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        outcome=payload.outcome,
        notes=payload.notes,
    )
    return _one(request, AppointmentKind.CALLBACK, callback_id)


# --- web meetings (R7.3) ------------------------------------------------------------------------------


@appointments_router.get(
    "/tickets/{ticket_id}/meetings", response=list[MeetingOut], summary="The web meetings of a ticket"
)
@paginate(LimitOffset)
def list_meetings(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    return _rows(request, AppointmentKind.WEB_MEETING).filter(ticket=ticket)


@appointments_router.post(
    "/tickets/{ticket_id}/meetings",
    response={201: MeetingOut},
    summary="Schedule a web meeting (vendor) and send its iCalendar invitation to the participants",
)
def create_meeting(request: HttpRequest, ticket_id: ObjectId, payload: MeetingIn):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    agent = _agent(request, payload.agent_id) if payload.agent_id else None
    users = [_partner_user(request, ticket, pk, vendor_too=True) for pk in payload.participant_user_ids]
    persons = [_person(request, ticket, pk) for pk in payload.contact_person_ids]
    meeting = appointments.create_meeting(
        acting_user=_user(request),
        ticket=ticket,
        starts_at=payload.starts_at,
        minutes=payload.minutes,
        join_url=payload.join_url,
        topic=payload.topic,
        agent=agent,
        users=users,
        contact_persons=persons,
    )
    return Status(201, _one(request, AppointmentKind.WEB_MEETING, meeting.pk))


@appointments_router.post(
    "/meetings/{meeting_id}/reschedule",
    response=MeetingOut,
    summary="Move a meeting (vendor): every participant gets the update (same UID, SEQUENCE + 1)",
)
def reschedule_meeting(request: HttpRequest, meeting_id: ObjectId, payload: RescheduleIn):  # type: ignore[no-untyped-def]
    meeting = _one(request, AppointmentKind.WEB_MEETING, meeting_id)
    appointments.reschedule_meeting(
        acting_user=_user(request), meeting=meeting, starts_at=payload.starts_at, minutes=payload.minutes
    )
    return _one(request, AppointmentKind.WEB_MEETING, meeting_id)


@appointments_router.post(
    "/meetings/{meeting_id}/cancel",
    response=MeetingOut,
    summary="Cancel a meeting (vendor): every participant gets METHOD:CANCEL",
)
def cancel_meeting(request: HttpRequest, meeting_id: ObjectId):  # type: ignore[no-untyped-def]
    meeting = _one(request, AppointmentKind.WEB_MEETING, meeting_id)
    appointments.cancel_meeting(acting_user=_user(request), meeting=meeting)
    return _one(request, AppointmentKind.WEB_MEETING, meeting_id)


@appointments_router.post(
    "/meetings/{meeting_id}/log",
    response=MeetingOut,
    summary="Log the meeting held (vendor): its length becomes a time entry (activity web meeting)",
)
def log_meeting(request: HttpRequest, meeting_id: ObjectId, payload: HeldIn):  # type: ignore[no-untyped-def]
    meeting = _one(request, AppointmentKind.WEB_MEETING, meeting_id)
    appointments.log_meeting(
        acting_user=_user(request),
        meeting=meeting,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        notes=payload.notes,
    )
    return _one(request, AppointmentKind.WEB_MEETING, meeting_id)


@appointments_router.get(
    "/meetings/{meeting_id}/invitation.ics",
    response={200: None},
    summary="The meeting's current invitation as iCalendar (METHOD:REQUEST, or METHOD:CANCEL once cancelled)",
    openapi_extra={"responses": {200: {"description": "iCalendar", "content": {"text/calendar": {}}}}},
)
def meeting_invitation(request: HttpRequest, meeting_id: ObjectId):  # type: ignore[no-untyped-def]
    meeting = _one(request, AppointmentKind.WEB_MEETING, meeting_id)
    if meeting.starts_at is None:
        raise Http404
    staff = [p.user for p in meeting.participants.all() if p.user is not None]
    response = HttpResponse(invitations.staff_invitation(meeting, staff), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response


# --- remote sessions (R7.4) ---------------------------------------------------------------------------


@appointments_router.get(
    "/tickets/{ticket_id}/remote-sessions", response=list[RemoteSessionOut], summary="The remote sessions of a ticket"
)
@paginate(LimitOffset)
def list_remote_sessions(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    return _rows(request, AppointmentKind.REMOTE_SESSION).filter(ticket=ticket)


@appointments_router.post(
    "/tickets/{ticket_id}/remote-sessions",
    response={201: RemoteSessionOut},
    summary="Record a remote maintenance session held (vendor): who consented, start, end, summary; booked as time",
)
def record_remote_session(request: HttpRequest, ticket_id: ObjectId, payload: RemoteSessionIn):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    person = _person(request, ticket, payload.contact_person_id) if payload.contact_person_id else None
    consenting = _partner_user(request, ticket, payload.consenting_user_id) if payload.consenting_user_id else None
    session = appointments.record_remote_session(
        acting_user=_user(request),
        ticket=ticket,
        tool=payload.tool,
        session_id=payload.session_id,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        summary=payload.summary,
        contact_person=person,
        consenting_user=consenting,
    )
    return Status(201, _one(request, AppointmentKind.REMOTE_SESSION, session.pk))
