"""Scheduling at the edges of support hours (R6.4 on R6.1/R6.2): Friday 11:50 for 30 minutes, the eve of a
holiday, both daylight-saving change days, a span across New Year; the offered slots are the hours engine's
(``next_open_slots``) less the agents' booked time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from partnerdesk.channels import appointments, scheduling
from partnerdesk.tickets.clocks import vendor_calendar

from .conftest import open_slots

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def _meeting(desk, starts_at, minutes=30, agent=None):
    return appointments.create_meeting(
        acting_user=desk.agent,
        ticket=desk.ticket,
        starts_at=starts_at,
        minutes=minutes,
        join_url="https://meet.example/r/edge",
        agent=agent,
        users=[desk.world.user("l1_agent")],
    )


def _refusal(desk, starts_at, minutes=30) -> scheduling.SlotRefused:
    with pytest.raises(scheduling.SlotRefused) as refused:
        _meeting(desk, starts_at, minutes)
    assert refused.value.field == "starts_at"
    return refused.value


def _engine(after: datetime, minutes: int = 30, count: int = 5):
    return vendor_calendar().next_open_slots(after, timedelta(minutes=minutes), count)


def _utc(slots):
    return [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in slots]


def test_r6_4_friday_11_50_for_30_minutes_runs_past_closing_and_is_refused(desk):
    refused = _refusal(desk, berlin(2027, 1, 8, 11, 50))  # a Friday: support closes at 12:00
    assert _utc(refused.slots) == _utc(_engine(berlin(2027, 1, 8, 11, 50)))
    assert refused.slots[0][0] == berlin(2027, 1, 11, 9, 0)  # Monday 09:00
    # 11:30 for 30 minutes ends exactly at closing: accepted.
    assert _meeting(desk, berlin(2027, 1, 8, 11, 30)).ends_at == berlin(2027, 1, 8, 12, 0)


def test_r6_4_the_eve_of_a_holiday_offers_the_day_after_the_holiday(desk):
    # Thursday 24 December 2026, 16:45 for 30 minutes: past 17:00; Friday 25th and the 26th are holidays.
    refused = _refusal(desk, berlin(2026, 12, 24, 16, 45))
    assert refused.slots[0][0] == berlin(2026, 12, 28, 9, 0)
    assert _utc(refused.slots) == _utc(_engine(berlin(2026, 12, 24, 16, 45)))
    assert _refusal(desk, berlin(2026, 12, 25, 10, 0)).slots[0][0] == berlin(2026, 12, 28, 9, 0)


def test_r6_4_spring_forward_day(desk):
    # Sunday 28 March 2027 (02:00 -> 03:00) is also Easter Sunday, and Monday is Easter Monday: the first slot
    # offered is Tuesday 09:00, 07:00 UTC (summer time).
    refused = _refusal(desk, berlin(2027, 3, 28, 10, 0))
    assert refused.slots[0][0].astimezone(UTC) == datetime(2027, 3, 30, 7, 0, tzinfo=UTC)
    assert _utc(refused.slots) == _utc(_engine(berlin(2027, 3, 28, 10, 0)))
    # The Thursday before (Friday is Good Friday), 09:00 is still winter time: 08:00 UTC.
    assert _meeting(desk, berlin(2027, 3, 25, 9, 0)).starts_at.astimezone(UTC) == datetime(
        2027, 3, 25, 8, 0, tzinfo=UTC
    )
    assert _refusal(desk, berlin(2027, 3, 26, 9, 0)).slots[0][0] == berlin(2027, 3, 30, 9, 0)


def test_r6_4_fall_back_day(desk):
    # Sunday 31 October 2027 (03:00 -> 02:00): closed; Monday 1 November 09:00 is 08:00 UTC (winter time).
    refused = _refusal(desk, berlin(2027, 10, 31, 10, 0))
    assert refused.slots[0][0].astimezone(UTC) == datetime(2027, 11, 1, 8, 0, tzinfo=UTC)
    assert _utc(refused.slots) == _utc(_engine(berlin(2027, 10, 31, 10, 0)))
    meeting = _meeting(desk, berlin(2027, 11, 1, 9, 0), minutes=60)
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=60)


def test_r6_4_a_span_across_new_year_is_refused_and_the_slots_skip_new_years_day(desk):
    # Thursday 31 December 2026 16:45 for 30: past 17:00; 1 January 2027 (Friday) is a holiday.
    refused = _refusal(desk, berlin(2026, 12, 31, 16, 45))
    assert refused.slots[0][0] == berlin(2027, 1, 4, 9, 0)
    assert _utc(refused.slots) == _utc(_engine(berlin(2026, 12, 31, 16, 45)))


def test_r6_4_the_slots_api_matches_the_engine_across_new_year(desk, api_as):
    start = berlin(2026, 12, 31, 16, 0)
    response = api_as("l1_agent").get(
        f"support-hours/slots?duration=30&count=5&from={start.isoformat()}".replace("+", "%2B")
    )
    assert response.status_code == 200, response.json()
    got = [(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in response.json()]
    assert _utc(got) == _utc(_engine(start))
    assert got[2][0] == berlin(2027, 1, 4, 9, 0)


def test_r6_4_slots_skip_time_every_agent_has_booked(desk, api_as, world):
    first, second = open_slots(2, minutes=30, after=berlin(2027, 2, 1, 9, 0))
    # Every agent the slots consider (the L2 agents and the L3 engineer) is taken in the first slot.
    for agent_id in scheduling.agents():
        from partnerdesk.accounts.models import User

        _meeting(desk, first[0], agent=User.objects.get(pk=agent_id))
    start = berlin(2027, 2, 1, 9, 0).isoformat().replace("+", "%2B")
    slots = api_as("l1_agent").get(f"support-hours/slots?duration=30&count=2&from={start}").json()
    assert datetime.fromisoformat(slots[0]["start"]) == second[0]
    # One agent's own free time skips only that agent's appointments.
    assert scheduling.free_slots(duration=timedelta(minutes=30), after=first[0], count=1, agent_id=desk.agent.pk) == [
        second
    ]


def test_r6_4_slots_api_refuses_bad_parameters(api_as):
    assert api_as("l1_agent").get("support-hours/slots?duration=0").status_code == 422
    assert api_as("l1_agent").get("support-hours/slots?count=500").status_code == 422


def test_r13_1_a_time_beyond_the_calendars_years_is_a_field_error_not_a_server_error(desk, api_as):
    """Found by schemathesis: the hours engine knows holidays up to 2100 only."""
    far = "2495-04-27T00:36:13-10:21".replace("-10:21", "%2B01:00")
    response = api_as("l1_agent").get(f"support-hours/slots?from={far}")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "from"
    with pytest.raises(Exception) as refused:
        _meeting(desk, berlin(2495, 4, 27, 10, 0))
    assert "starts_at" in refused.value.message_dict
