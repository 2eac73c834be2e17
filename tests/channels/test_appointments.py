"""Callbacks, web meetings and remote sessions through the API (R7.2, R7.3, R7.4, R6.4): who may do what, the
agent's time booked once, and what was held booked as a time entry with the right units and prices (R4.2-R4.5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from partnerdesk.channels.choices import AppointmentState
from partnerdesk.channels.models import Appointment, AppointmentChange
from partnerdesk.contact.choices import Channel
from partnerdesk.worklog.models import TimeEntry

from .conftest import open_slots, past_slot

pytestmark = pytest.mark.django_db


def _request(api_as, desk, **overrides):
    start, end = open_slots(1, minutes=120)[0]
    body = {
        "topic": "VPN-Abbrüche besprechen",
        "phone": "+49 431 123456",
        "wished_from": start.isoformat(),
        "wished_until": end.isoformat(),
        **overrides,
    }
    return api_as("l1_agent").post(f"tickets/{desk.ticket.pk}/callbacks", body)


def _schedule(api_as, desk, callback_id, start, *, agent=None, minutes=30, who="l2_agent"):
    return api_as(who).post(
        f"callbacks/{callback_id}/schedule",
        {"agent_id": (agent or desk.agent).pk, "starts_at": start.isoformat(), "minutes": minutes},
    )


def test_r7_2_partner_requests_vendor_schedules_agent_logs_and_the_call_is_a_time_entry(desk, api_as):
    created = _request(api_as, desk)
    assert created.status_code == 201, created.json()
    callback = created.json()
    assert callback["state"] == "requested" and callback["phone"] == "+49 431 123456"
    start, _end = open_slots(1)[0]
    scheduled = _schedule(api_as, desk, callback["id"], start)
    assert scheduled.status_code == 200, scheduled.json()
    assert scheduled.json()["state"] == "scheduled" and scheduled.json()["agent_id"] == desk.agent.pk
    # Both sides see it on the ticket.
    for who in ("l1_agent", "l2_agent"):
        listed = api_as(who).get(f"tickets/{desk.ticket.pk}/callbacks").json()["items"]
        assert [c["id"] for c in listed] == [callback["id"]]
    held_from = timezone.now() - timedelta(minutes=40)
    logged = api_as("l2_agent").post(
        f"callbacks/{callback['id']}/log",
        {
            "started_at": held_from.isoformat(),
            "ended_at": (held_from + timedelta(minutes=20)).isoformat(),
            "outcome": "reached",
            "notes": "Router-Firmware aktualisiert",
        },
    )
    assert logged.status_code == 200, logged.json()
    entry = TimeEntry.objects.get(pk=logged.json()["time_entry_id"])
    # R4.2: 20 minutes are 2 units; R4.5 (S): the first 4 units of a ticket cost 37.25 each.
    assert (entry.activity, entry.minutes, entry.units, entry.agent_id) == ("callback", 20, 2, desk.agent.pk)
    assert entry.amount == Decimal("74.50")
    kinds = list(AppointmentChange.objects.filter(appointment_id=callback["id"]).values_list("kind", flat=True))
    assert kinds == ["requested", "scheduled", "logged"]


def test_r7_2_only_the_partner_requests_and_only_the_vendor_schedules(desk, api_as):
    assert _request(api_as, desk).status_code == 201
    callback = Appointment.objects.get()
    refused = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/callbacks",
        {
            "topic": "x",
            "phone": "1",
            "wished_from": timezone.now().isoformat(),
            "wished_until": timezone.now().isoformat(),
        },
    )
    assert refused.status_code == 403
    start, _end = open_slots(1)[0]
    assert _schedule(api_as, desk, callback.pk, start, who="l1_agent").status_code == 404  # agents are vendor users
    assert _schedule(api_as, desk, callback.pk, start, who="sales").status_code == 403


def test_r7_2_an_outsider_sees_no_callback(desk, api_as, world):
    assert _request(api_as, desk).status_code == 201
    callback = Appointment.objects.get()
    outsider = api_as(world.outsider["l1_agent"])
    assert outsider.get(f"tickets/{desk.ticket.pk}/callbacks").status_code == 404
    start, _end = open_slots(1)[0]
    assert (
        outsider.post(
            f"callbacks/{callback.pk}/log",
            {"started_at": start.isoformat(), "ended_at": start.isoformat(), "outcome": "reached"},
        ).status_code
        == 404
    )


def test_r7_2_a_wished_window_outside_support_hours_is_refused_with_slots(desk, api_as):
    saturday = open_slots(1)[0][0]
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    response = _request(
        api_as,
        desk,
        wished_from=saturday.replace(hour=10, minute=0).isoformat(),
        wished_until=saturday.replace(hour=12, minute=0).isoformat(),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "wished_from"
    assert len(response.json()["slots"]) == 5


def test_r6_4_no_double_booking_of_an_agent_names_the_other_appointment(desk, api_as):
    first, second = (_request(api_as, desk).json()["id"] for _ in range(2))
    start, _end = open_slots(1, minutes=120)[0]
    assert _schedule(api_as, desk, first, start).status_code == 200
    clash = _schedule(api_as, desk, second, start + timedelta(minutes=15))
    assert clash.status_code == 422
    error = clash.json()["errors"][0]
    assert error["field"] == "starts_at" and f"#{first}" in error["message"]
    assert clash.json()["slots"] and all(s["start"] != start.isoformat() for s in clash.json()["slots"])
    # Another agent is free then.
    assert _schedule(api_as, desk, second, start + timedelta(minutes=15), agent=desk.second_agent).status_code == 200


def test_r7_3_meeting_created_rescheduled_logged_becomes_a_time_entry(desk, api_as, world):
    start, _end = open_slots(1, minutes=180)[0]
    created = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/meetings",
        {
            "starts_at": start.isoformat(),
            "minutes": 60,
            "join_url": "https://meet.example/r/abc",
            "topic": "Analyse",
            "participant_user_ids": [world.user("l1_agent").pk],
        },
    )
    assert created.status_code == 201, created.json()
    meeting = created.json()
    assert meeting["sequence"] == 0 and meeting["minutes"] == 60
    assert {p["user_id"] for p in meeting["participants"]} == {desk.agent.pk, world.user("l1_agent").pk}
    moved = api_as("l2_agent").post(
        f"meetings/{meeting['id']}/reschedule", {"starts_at": (start + timedelta(hours=1)).isoformat(), "minutes": 45}
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["sequence"] == 1 and moved.json()["minutes"] == 45
    held_from = timezone.now() - timedelta(minutes=70)
    logged = api_as("l2_agent").post(
        f"meetings/{meeting['id']}/log",
        {"started_at": held_from.isoformat(), "ended_at": (held_from + timedelta(minutes=50)).isoformat()},
    )
    assert logged.status_code == 200, logged.json()
    entry = TimeEntry.objects.get(pk=logged.json()["time_entry_id"])
    # 50 minutes: 4 units (R4.2), all within the S plan's first hour of the ticket: 4 x 37.25 (R4.5).
    assert (entry.activity, entry.minutes, entry.units, entry.amount) == ("web_meeting", 50, 4, Decimal("149.00"))


def test_r7_3_a_meeting_outside_support_hours_is_422_naming_starts_at_with_slots(desk, api_as, world):
    start, _end = open_slots(1)[0]
    evening = timezone.localtime(start).replace(hour=19, minute=0)
    response = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/meetings",
        {
            "starts_at": evening.isoformat(),
            "minutes": 30,
            "join_url": "https://meet.example/r/abc",
            "participant_user_ids": [world.user("l1_agent").pk],
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "starts_at"
    assert len(response.json()["slots"]) == 5
    assert not Appointment.objects.exists()


def test_r7_3_join_link_from_the_link_template_setting(desk, api_as, world, settings):
    settings.PARTNERDESK_MEETING_LINK_TEMPLATE = "https://meet.vendor.example/{ticket}-{meeting}"
    start, _end = open_slots(1)[0]
    created = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/meetings",
        {"starts_at": start.isoformat(), "minutes": 30, "participant_user_ids": [world.user("l1_agent").pk]},
    )
    assert created.status_code == 201, created.json()
    assert created.json()["join_url"] == f"https://meet.vendor.example/{desk.ticket.pk}-{created.json()['id']}"


def test_r7_3_without_a_template_the_link_must_be_pasted(desk, api_as, world, settings):
    settings.PARTNERDESK_MEETING_LINK_TEMPLATE = ""
    start, _end = open_slots(1)[0]
    response = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/meetings",
        {"starts_at": start.isoformat(), "minutes": 30, "participant_user_ids": [world.user("l1_agent").pk]},
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "join_url"


def test_r7_3_cancelled_meeting_frees_the_agents_time(desk, api_as, world):
    start, _end = open_slots(1)[0]
    body = {
        "starts_at": start.isoformat(),
        "minutes": 30,
        "join_url": "https://meet.example/r/1",
        "participant_user_ids": [world.user("l1_agent").pk],
    }
    first = api_as("l2_agent").post(f"tickets/{desk.ticket.pk}/meetings", body).json()
    assert api_as("l2_agent").post(f"tickets/{desk.ticket.pk}/meetings", body).status_code == 422
    cancelled = api_as("l2_agent").post(f"meetings/{first['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["sequence"] == 1
    assert api_as("l2_agent").post(f"tickets/{desk.ticket.pk}/meetings", body).status_code == 201


def test_r7_4_remote_session_on_the_partners_system_is_a_time_entry(desk, api_as, world):
    start, _end = past_slot(minutes=45)
    response = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/remote-sessions",
        {
            "tool": "teamviewer",
            "session_id": "123 456 789",
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=31)).isoformat(),
            "summary": "Dienst neu gestartet, Protokolle gesichert",
            "consenting_user_id": world.user("l1_agent").pk,
        },
    )
    assert response.status_code == 201, response.json()
    session = response.json()
    assert session["state"] == "held" and session["consenting_user_id"] == world.user("l1_agent").pk
    entry = TimeEntry.objects.get(pk=session["time_entry_id"])
    # 31 minutes: 3 units (R4.2) at 37.25 (R4.5).
    assert (entry.activity, entry.minutes, entry.units, entry.amount) == (
        "remote_maintenance",
        31,
        3,
        Decimal("111.75"),
    )
    listed = api_as("l1_agent").get(f"tickets/{desk.ticket.pk}/remote-sessions").json()["items"]
    assert [s["id"] for s in listed] == [session["id"]]


def test_r7_4_a_session_that_ran_past_support_hours_is_recorded_as_it_happened_but_not_over_another(
    desk, api_as, world
):
    start, _end = past_slot()
    evening = timezone.localtime(start).replace(hour=21, minute=40)  # the work went on into the evening

    def record(at, minutes: int, session: str):
        return api_as("l2_agent").post(
            f"tickets/{desk.ticket.pk}/remote-sessions",
            {
                "tool": "ssh",
                "session_id": session,
                "started_at": at.isoformat(),
                "ended_at": (at + timedelta(minutes=minutes)).isoformat(),
                "summary": "Datenbank repariert",
                "consenting_user_id": world.user("l1_agent").pk,
            },
        )

    held = record(evening, 50, "s1")
    assert held.status_code == 201, held.json()
    assert TimeEntry.objects.get(pk=held.json()["time_entry_id"]).minutes == 50
    overlapping = record(evening + timedelta(minutes=20), 20, "s2")  # the agent was in s1 then (R7.4)
    assert overlapping.status_code == 422 and overlapping.json()["errors"][0]["field"] == "started_at"
    assert TimeEntry.objects.count() == 1


def test_r9_1_the_vendor_sees_no_end_customer_participants_name(desk, api_as):
    desk.grant([Channel.WEB_MEETING])
    start, _end = open_slots(1)[0]
    created = api_as("l2_agent").post(
        f"tickets/{desk.ticket.pk}/meetings",
        {
            "starts_at": start.isoformat(),
            "minutes": 30,
            "join_url": "https://meet.example/r/1",
            "contact_person_ids": [desk.person.pk],
        },
    )
    assert created.status_code == 201, created.json()
    assert desk.person.name not in created.content.decode()
    seen_by_partner = api_as("l1_agent").get(f"tickets/{desk.ticket.pk}/meetings").json()["items"][0]
    assert desk.person.name in [p["name"] for p in seen_by_partner["participants"]]
    assert Appointment.objects.get().state == AppointmentState.SCHEDULED


def test_r7_2_both_sides_are_told_of_a_scheduled_callback_by_mail(desk, api_as, world):
    from partnerdesk.outbox.events import run_deferred
    from partnerdesk.outbox.models import OutboxMessage

    l1 = world.user("l1_agent")
    l1.language = "de"
    l1.save(update_fields=["language"])
    callback = _request(api_as, desk).json()
    run_deferred()
    requested = OutboxMessage.objects.filter(kind="appointment")
    assert desk.agent.email in {a for row in requested for a in row.to}  # the vendor's queue hears of the request
    assert l1.email not in {a for row in requested for a in row.to}  # never the actor
    before = OutboxMessage.objects.order_by("-pk").first().pk
    start, _end = open_slots(1)[0]
    assert _schedule(api_as, desk, callback["id"], start, agent=desk.second_agent).status_code == 200
    run_deferred()
    told = list(OutboxMessage.objects.filter(kind="appointment", pk__gt=before))
    to = {a for row in told for a in row.to}
    assert {l1.email, desk.second_agent.email} <= to and desk.agent.email not in to
    german = next(row for row in told if row.to == [l1.email])
    assert "Rückruf" in german.subject and "geplant" in german.subject
