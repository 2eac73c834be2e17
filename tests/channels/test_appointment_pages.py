"""The pages of appointments (R7.2-R7.4): the ticket shows its appointments and, to the partner, the callback request
form; the vendor schedules a requested callback there or in the day plan (today's and this week's per agent)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.channels import appointments
from partnerdesk.channels.choices import AppointmentState
from partnerdesk.channels.models import Appointment

from .conftest import open_slots

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_r7_2_partner_requests_a_callback_on_the_ticket_page(desk):
    l1 = desk.world.user("l1_agent")
    page = _client(l1).get(f"/tickets/{desk.ticket.pk}/").content.decode()
    assert "Ask for a callback" in page
    start, end = open_slots(1, minutes=120)[0]
    local = timezone.localtime(start, start.tzinfo)
    response = _client(l1).post(
        f"/tickets/{desk.ticket.pk}/callbacks/",
        {
            "topic": "Bitte zurückrufen",
            "phone": "+49 431 99",
            "wished_from": local.strftime("%Y-%m-%dT%H:%M"),
            "wished_until": timezone.localtime(end, start.tzinfo).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )
    assert "Your callback request was sent to the vendor." in response.content.decode()
    callback = Appointment.objects.get()
    assert callback.requested_by == l1 and callback.state == AppointmentState.REQUESTED
    # The vendor schedules it from the ticket page; both sides see it there.
    agent = desk.agent
    vendor_page = _client(agent).get(f"/tickets/{desk.ticket.pk}/").content.decode()
    assert f"/callbacks/{callback.pk}/schedule/" in vendor_page and "Ask for a callback" not in vendor_page
    slot = timezone.localtime(open_slots(1)[0][0], start.tzinfo)
    done = _client(agent).post(
        f"/callbacks/{callback.pk}/schedule/",
        {"agent_id": agent.pk, "starts_at": slot.strftime("%Y-%m-%dT%H:%M"), "minutes": "30"},
        follow=True,
    )
    assert "The callback is scheduled." in done.content.decode()
    callback.refresh_from_db()
    assert callback.state == AppointmentState.SCHEDULED and callback.agent == agent


def test_r7_2_the_german_page_refuses_a_window_outside_support_hours_with_slots(desk):
    l1 = desk.world.user("l1_agent")
    response = _client(l1, "de").post(
        f"/tickets/{desk.ticket.pk}/callbacks/",
        {"topic": "x", "phone": "1", "wished_from": "2027-01-09T10:00", "wished_until": "2027-01-09T12:00"},
        follow=True,
    )
    text = response.content.decode()
    assert "Nächste freie Termine" in text and not Appointment.objects.exists()


def test_r7_3_day_plan_shows_today_and_this_week_per_agent(desk):
    meeting = appointments.create_meeting(
        acting_user=desk.agent,
        ticket=desk.ticket,
        starts_at=open_slots(1)[0][0],
        minutes=30,
        join_url="https://meet.example/r/plan",
        users=[desk.world.user("l1_agent")],
    )
    week = _client(desk.agent).get("/day-plan/?span=week")
    assert week.status_code == 200
    text = week.content.decode()
    if timezone.localtime(meeting.starts_at).isocalendar()[1] == timezone.localtime().isocalendar()[1]:
        assert f"#{desk.ticket.pk}" in text and str(desk.agent) in text
    assert _client(desk.agent).get("/day-plan/").status_code == 200
    assert _client(desk.world.user("l1_agent")).get("/day-plan/").status_code == 403


def test_r7_2_the_agent_logs_a_scheduled_callback_on_the_ticket_page(desk):
    from datetime import timedelta

    start, end = open_slots(1, minutes=120)[0]
    callback = appointments.request_callback(
        acting_user=desk.world.user("l1_agent"),
        ticket=desk.ticket,
        topic="Rückruf",
        phone="+49 431 1",
        wished_from=start,
        wished_until=end,
    )
    appointments.schedule_callback(acting_user=desk.agent, callback=callback, agent=desk.agent, starts_at=start)
    page = _client(desk.agent).get(f"/tickets/{desk.ticket.pk}/").content.decode()
    assert f"/appointments/{callback.pk}/log/" in page
    held = timezone.localtime(timezone.now() - timedelta(minutes=30), start.tzinfo)
    response = _client(desk.agent).post(
        f"/appointments/{callback.pk}/log/",
        {
            "started_at": held.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (held + timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M"),
            "outcome": "reached",
            "notes": "ok",
        },
        follow=True,
    )
    assert "Logged and booked as time." in response.content.decode()
    callback.refresh_from_db()
    assert callback.state == AppointmentState.HELD and callback.time_entry.units == 2  # 16 minutes (R4.2)


def test_r7_3_the_agent_schedules_and_cancels_a_web_meeting_on_the_ticket_page(desk):
    from partnerdesk.outbox.models import OutboxMessage

    start, _end = open_slots(1, minutes=60)[0]
    partner_user = desk.world.user("l1_agent")
    page = _client(desk.agent).get(f"/tickets/{desk.ticket.pk}/").content.decode()
    assert f"/tickets/{desk.ticket.pk}/meetings/" in page and partner_user.full_name in page
    local = timezone.localtime(start)
    response = _client(desk.agent).post(
        f"/tickets/{desk.ticket.pk}/meetings/",
        {
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "minutes": "45",
            "join_url": "https://meet.example/r/7",
            "topic": "Zertifikate",
            "participant_user_ids": [str(partner_user.pk)],
        },
        follow=True,
    )
    assert "The web meeting is scheduled" in response.content.decode()
    meeting = Appointment.objects.get(ticket=desk.ticket, kind="web_meeting")
    assert meeting.starts_at == start and meeting.ends_at - meeting.starts_at == timezone.timedelta(minutes=45)
    assert OutboxMessage.objects.filter(to=[partner_user.email]).exists()
    night = local.replace(hour=23, minute=0)
    refused = _client(desk.agent, "de").post(
        f"/tickets/{desk.ticket.pk}/meetings/",
        {"starts_at": night.strftime("%Y-%m-%dT%H:%M"), "minutes": "30", "participant_user_ids": [partner_user.pk]},
        follow=True,
    )
    assert "außerhalb der Supportzeiten" in refused.content.decode()
    assert Appointment.objects.filter(kind="web_meeting").count() == 1
    _client(desk.agent).post(f"/meetings/{meeting.pk}/cancel/")
    meeting.refresh_from_db()
    assert meeting.state == AppointmentState.CANCELLED and meeting.sequence == 1
    partner = _client(partner_user).post(f"/tickets/{desk.ticket.pk}/meetings/", {"starts_at": "x"})
    assert partner.status_code == 302 and Appointment.objects.filter(kind="web_meeting").count() == 1


def test_r7_4_the_agent_records_a_remote_session_on_the_ticket_page(desk):
    from datetime import timedelta

    from .conftest import past_slot

    start, _end = past_slot(minutes=45)
    local = timezone.localtime(start)
    consenting = desk.world.user("l1_agent")
    response = _client(desk.agent).post(
        f"/tickets/{desk.ticket.pk}/remote-sessions/",
        {
            "tool": "anydesk",
            "session_id": "987 654 321",
            "started_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (local + timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M"),
            "consenting_user_id": str(consenting.pk),
            "summary": "Dienst neu gestartet",
        },
        follow=True,
    )
    assert "The remote session is recorded" in response.content.decode()
    session = Appointment.objects.get(ticket=desk.ticket, kind="remote_session")
    assert session.consenting_user == consenting and session.time_entry.minutes == 40
    outsider = desk.world.outsider["l1_agent"]
    refused = _client(desk.agent).post(
        f"/tickets/{desk.ticket.pk}/remote-sessions/",
        {
            "tool": "ssh",
            "session_id": "x",
            "started_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (local + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"),
            "consenting_user_id": str(outsider.pk),
            "summary": "y",
        },
        follow=True,
    )
    assert "Choose an active user of the ticket" in refused.content.decode()
    assert Appointment.objects.filter(kind="remote_session").count() == 1
