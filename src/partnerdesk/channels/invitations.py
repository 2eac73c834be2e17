"""Web-meeting invitations (R7.3): an iCalendar file (``icalendar``) and the mails that carry it, via the outbox.

One meeting is one UID for its whole life; each reschedule or cancellation raises its SEQUENCE, so calendar
clients replace the earlier invitation (RFC 5546: METHOD:REQUEST for the invitation and its updates,
METHOD:CANCEL for the cancellation). Times are given in Europe/Berlin with the zone's VTIMEZONE.

Two audiences see the same meeting: the partner's and the vendor's users (organiser: the agent; the end
customer's contact persons are not listed, R9.1), and each end-customer participant (organiser: the sender the
partner chose, R9.6, and only that person listed). Mail to an end customer is built here but written to the
outbox only inside ``contact.gate.perform_contact`` (``appointments``).
"""

from __future__ import annotations

from datetime import UTC, date
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.accounts.validation import one_line
from partnerdesk.outbox.services import enqueue
from partnerdesk.tickets.clocks import vendor_calendar

from .choices import AppointmentState
from .models import Appointment

PRODID = "-//partnerdesk//web meetings//EN"
KIND_PARTNER = "meeting_invitation"
KIND_END_CUSTOMER = "meeting_invitation_end_customer"
FILENAME = "invitation.ics"


def method_of(meeting: Appointment) -> str:
    return "CANCEL" if meeting.state == AppointmentState.CANCELLED else "REQUEST"


def _address(name: str, email: str, *, organizer: bool = False) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(one_line(name) or email)
    if not organizer:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText("NEEDS-ACTION")
        address.params["RSVP"] = vText("TRUE")
    return address


def summary_of(meeting: Appointment) -> str:
    topic = meeting.topic or _("Web meeting")
    return f"[#{meeting.ticket_id}] {topic}"


def calendar_file(
    meeting: Appointment, *, organizer: tuple[str, str], attendees: list[tuple[str, str]], summary: str
) -> bytes:
    """The invitation (or its update, or its cancellation) as iCalendar bytes."""
    zone = vendor_calendar().zone
    assert meeting.starts_at is not None and meeting.ends_at is not None  # noqa: S101 - a scheduled meeting
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method_of(meeting))
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("description", meeting.join_url)
    event.add("location", meeting.join_url)
    event.add("url", meeting.join_url)
    event.add("status", "CANCELLED" if meeting.state == AppointmentState.CANCELLED else "CONFIRMED")
    event.add("organizer", _address(*organizer, organizer=True))
    for name, email in attendees:
        event.add("attendee", _address(name, email))
    cal.add_component(event)
    year = meeting.starts_at.astimezone(zone).year
    cal.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    return cal.to_ical()


def staff_invitation(meeting: Appointment, participants: list[User]) -> bytes:
    """The partner's and the vendor's version: the agent organises, the users are listed."""
    agent = meeting.agent
    assert agent is not None  # noqa: S101 - a scheduled meeting has its agent
    attendees = [(str(u), u.email) for u in participants if u.pk != agent.pk]
    return calendar_file(meeting, organizer=(str(agent), agent.email), attendees=attendees, summary=summary_of(meeting))


def end_customer_invitation(
    meeting: Appointment, person: ContactPerson, *, sender_name: str, sender_email: str
) -> bytes:
    """An end customer's version: organised by the sender the partner chose, listing only that person."""
    return calendar_file(
        meeting,
        organizer=(sender_name, sender_email),
        attendees=[(person.name, person.email)],
        summary=meeting.topic or _("Web meeting"),
    )


def _when(meeting: Appointment) -> str:
    zone = vendor_calendar().zone
    assert meeting.starts_at is not None and meeting.ends_at is not None  # noqa: S101
    start = timezone.localtime(meeting.starts_at, zone)
    end = timezone.localtime(meeting.ends_at, zone)
    return f"{start:%Y-%m-%d %H:%M}-{end:%H:%M} ({zone.key})"


def _texts(meeting: Appointment) -> tuple[str, str]:
    """Subject and body in the active language."""
    values = {"topic": meeting.topic or _("Web meeting"), "when": _when(meeting), "link": meeting.join_url}
    if meeting.state == AppointmentState.CANCELLED:
        subject = _("Cancelled: %(topic)s, %(when)s") % values
        body = _("The web meeting “%(topic)s” on %(when)s is cancelled.") % values
    elif meeting.sequence:
        subject = _("Moved: %(topic)s, %(when)s") % values
        body = _("The web meeting “%(topic)s” now takes place on %(when)s.\n\nJoin: %(link)s") % values
    else:
        subject = _("Invitation: %(topic)s, %(when)s") % values
        body = _("You are invited to the web meeting “%(topic)s” on %(when)s.\n\nJoin: %(link)s") % values
    return subject, body


def _language(user: User | None) -> str:
    return (user.language if user is not None else "") or settings.LANGUAGE_CODE


def enqueue_staff_invitations(meeting: Appointment, participants: list[User]) -> int:
    """The invitation (or update, or cancellation) to each partner and vendor participant, in the caller's
    transaction; returns how many mails were written."""
    ics = staff_invitation(meeting, participants)
    written = 0
    for user in participants:
        if not user.is_active or not user.email:
            continue
        with translation.override(_language(user)):
            subject, body = _texts(meeting)
        message = EmailMessage(
            subject=one_line(f"[#{meeting.ticket_id}] {subject}"),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach(FILENAME, ics, "text/calendar")
        enqueue(
            kind=KIND_PARTNER,
            message=message,
            reference=f"channels.Appointment:{meeting.pk}",
            confidential=user.is_partner,
        )
        written += 1
    return written


def enqueue_end_customer_invitation(
    meeting: Appointment, person: ContactPerson, *, sender: str, sender_name: str, sender_email: str, language: str
) -> None:
    """One end customer's invitation, from the sender the partner chose; call only inside perform_contact."""
    ics = end_customer_invitation(meeting, person, sender_name=sender_name, sender_email=sender_email)
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, body = _texts(meeting)
    message = EmailMessage(
        subject=one_line(subject),
        body=body,
        from_email=sender,
        to=[formataddr((one_line(person.name), person.email))],
        reply_to=[sender_email],
    )
    message.attach(FILENAME, ics, "text/calendar")
    enqueue(
        kind=KIND_END_CUSTOMER,
        message=message,
        reference=f"channels.Appointment:{meeting.pk}",
        confidential=True,
    )
