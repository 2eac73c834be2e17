"""The vendor's support hours as the partner sees them (R6.1, R6.5)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets.clocks import due_after, shifted_by_pause, vendor_calendar

BERLIN = ZoneInfo("Europe/Berlin")


def test_r6_5_support_hours_answer_schedule_open_now_and_next_opening(world, api_as):
    response = api_as(Role.L1_AGENT).get("support-hours")
    assert response.status_code == 200
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["schedule"][:2] == ["Mon-Thu 09:00-17:00", "Fri 09:00-12:00"]
    next_open = datetime.fromisoformat(body["next_open"])
    assert vendor_calendar().is_open(next_open)
    assert body["open_now"] == vendor_calendar().is_open(datetime.now(tz=BERLIN))
    assert all(c["kind"] in {"holiday", "closed", "special"} for c in body["next_closures"])


@pytest.mark.django_db
def test_r6_1_settings_choose_state_categories_and_extra_closed_days():
    assumption_day = datetime(2028, 8, 15, 10, 0, tzinfo=BERLIN)  # a Tuesday
    assert vendor_calendar().is_open(assumption_day)
    with override_settings(SUPPORT_HOURS_SUBDIVISION="BY", SUPPORT_HOURS_CATEGORIES=("public", "catholic")):
        assert not vendor_calendar().is_open(assumption_day)
    with override_settings(SUPPORT_HOURS_CLOSED_DAYS=["2028-08-14"]):
        assert not vendor_calendar().is_open(datetime(2028, 8, 14, 10, 0, tzinfo=BERLIN))
    with override_settings(SUPPORT_HOURS_SPECIAL_DAYS={"2028-08-14": [["09:00", "10:00"]]}):
        assert not vendor_calendar().is_open(datetime(2028, 8, 14, 10, 30, tzinfo=BERLIN))
    assert vendor_calendar().is_open(assumption_day)


def test_r6_3_due_time_counts_support_minutes_only():
    # Thursday 16:00 + 2 support hours: 1 h on Thursday, 1 h on Friday from 09:00.
    start = datetime(2026, 11, 26, 16, 0, tzinfo=BERLIN)
    assert due_after(start, 120) == datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN)
    assert due_after(start, None) is None


def test_r6_3_a_pause_moves_the_due_time_by_the_support_time_it_lasted():
    due = datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)  # Monday noon
    # Paused Friday 11:00 until Monday 10:00: 1 h of support time on Friday + 1 h on Monday.
    paused, resumed = datetime(2026, 11, 27, 11, 0, tzinfo=BERLIN), datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN)
    assert shifted_by_pause(due, paused, resumed) == datetime(2026, 11, 30, 14, 0, tzinfo=BERLIN)
