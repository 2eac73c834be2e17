"""Time booking from the ticket page works in every language (R4.1, R12.1): date-time inputs carry ISO."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.worklog.models import TimeEntry
from tests.contracts.conftest import escalated_ticket, make_contract

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_r4_1_r12_1_vendor_books_time_from_the_ticket_page(world, open_page, locale):
    agent = world.user(Role.L2_AGENT)
    agent.language = locale[:2]
    agent.save(update_fields=["language"])
    ticket = escalated_ticket(make_contract(world, "L"))
    page = open_page(locale=locale, user=agent)
    page.goto(f"/tickets/{ticket.pk}/")
    start = page.locator("#id_started_at")
    # The browser's date-time input accepts only ISO values; a localised one would leave it empty.
    assert start.input_value() != ""
    assert "T" in start.input_value()
    page.fill("#id_minutes", "50")
    page.select_option("#id_activity", "analysis")
    page.locator("form[action$='/time/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages, .message, [role=status]").first.is_visible()
    entry = TimeEntry.objects.get(ticket=ticket)
    assert (entry.minutes, entry.units, entry.agent) == (50, 4, agent)
    assert ("Zeit gebucht" if locale == "de-DE" else "Time booked") in page.content()
