"""Web-meeting invitations (R7.3): iCalendar files that parse back with `icalendar` with the right times in UTC and
Berlin, one UID for the meeting's life and a higher SEQUENCE for each update and the cancellation, mailed through the
outbox as text/calendar attachments; an end customer's in the name the partner chose (R9.6)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from partnerdesk.channels import appointments
from partnerdesk.contact.choices import Channel
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def _parse(data: bytes):
    calendar = Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def _attachments(kind: str) -> list[bytes]:
    rows = OutboxMessage.objects.filter(kind=kind).order_by("pk")
    found = []
    for row in rows:
        [part] = [a for a in row.attachments if a["content_type"] == "text/calendar"]
        found.append(base64.b64decode(part["content"]))
    return found


@pytest.fixture
def meeting(desk):
    # Monday 1 February 2027, 10:00 Berlin (winter time: 09:00 UTC), for 45 minutes.
    return appointments.create_meeting(
        acting_user=desk.agent,
        ticket=desk.ticket,
        starts_at=datetime(2027, 2, 1, 10, 0, tzinfo=BERLIN),
        minutes=45,
        join_url="https://meet.example/r/xyz",
        topic="Analyse VPN",
        users=[desk.world.user("l1_agent")],
    )


def test_r7_3_invitation_parses_back_with_times_in_utc_and_berlin(desk, meeting, api_as):
    response = api_as("l1_agent").get(f"meetings/{meeting.pk}/invitation.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar, event = _parse(response.content)
    assert str(calendar["METHOD"]) == "REQUEST"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.astimezone(UTC) == datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
    assert start.astimezone(BERLIN).hour == 10 and end.astimezone(BERLIN).minute == 45
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    assert str(event["UID"]) == meeting.uid and int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == f"mailto:{desk.agent.email}"
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert [str(a) for a in attendees] == [f"mailto:{desk.world.user('l1_agent').email}"]
    assert str(event["LOCATION"]) == "https://meet.example/r/xyz"


def test_r7_3_update_and_cancel_carry_the_same_uid_with_a_higher_sequence(desk, meeting):
    appointments.reschedule_meeting(
        acting_user=desk.agent, meeting=meeting, starts_at=datetime(2027, 2, 1, 14, 0, tzinfo=BERLIN), minutes=30
    )
    meeting.refresh_from_db()
    appointments.cancel_meeting(acting_user=desk.agent, meeting=meeting)
    # Each version went to the agent and the partner's participant.
    files = _attachments("meeting_invitation")
    assert len(files) == 6
    parsed = [_parse(data) for data in files[::2]]
    assert [str(c["METHOD"]) for c, _e in parsed] == ["REQUEST", "REQUEST", "CANCEL"]
    assert {str(e["UID"]) for _c, e in parsed} == {meeting.uid}
    assert [int(e["SEQUENCE"]) for _c, e in parsed] == [0, 1, 2]
    moved = parsed[1][1]
    assert moved.decoded("DTSTART").astimezone(UTC) == datetime(2027, 2, 1, 13, 0, tzinfo=UTC)
    assert str(parsed[2][1]["STATUS"]) == "CANCELLED"


def test_r7_3_invitations_leave_through_the_outbox_as_text_calendar(desk, meeting, mailoutbox):
    assert mailoutbox == []  # nothing is sent from the request
    deliver_due()
    to_partner = next(m for m in mailoutbox if m.to == [desk.world.user("l1_agent").email])
    [(filename, content, mimetype)] = to_partner.attachments
    assert filename == "invitation.ics" and mimetype.startswith("text/calendar")
    _calendar, event = _parse(content.encode() if isinstance(content, str) else content)
    assert str(event["UID"]) == meeting.uid


def test_r9_6_end_customer_invitation_in_the_partners_name(desk):
    desk.grant([Channel.WEB_MEETING])
    meeting = appointments.create_meeting(
        acting_user=desk.agent,
        ticket=desk.ticket,
        starts_at=datetime(2027, 2, 2, 10, 0, tzinfo=BERLIN),
        minutes=30,
        join_url="https://meet.example/r/ec",
        contact_persons=[desk.person],
    )
    row = OutboxMessage.objects.get(kind="meeting_invitation_end_customer")
    assert row.confidential and row.from_email == "Nordlicht IT Support <support@nordlicht-it.example>"
    [data] = _attachments("meeting_invitation_end_customer")
    _calendar, event = _parse(data)
    assert str(event["UID"]) == meeting.uid
    assert str(event["ORGANIZER"]) == "mailto:support@nordlicht-it.example"
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert [str(a) for a in attendees] == [f"mailto:{desk.person.email}"]
    text = data.decode() + row.subject + row.body
    for vendor_mark in ("groupios", "tuxguard", "TUXGUARD", desk.agent.email):
        assert vendor_mark not in text
    # The vendor's own copy lists no end-customer contact data (R9.1).
    staff = _attachments("meeting_invitation")[0].decode()
    assert desk.person.email not in staff and desk.person.name not in staff
