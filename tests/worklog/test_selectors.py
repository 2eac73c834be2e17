"""Who sees which time entries and their history (R1.1, R1.2, R1.5)."""

from __future__ import annotations

from partnerdesk.accounts.choices import Role
from partnerdesk.worklog.selectors import time_entries_visible_to, time_entry_events_visible_to
from tests.visibility import disabled

PARTNER_ROLES = (Role.PARTNER_ADMIN, Role.L1_AGENT)
VENDOR_ROLES = (Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER)


def test_r1_1_time_entries_visible_to_the_owner_and_colleagues_only_their_partners(full_world):
    w = full_world
    for role in PARTNER_ROLES:
        assert set(time_entries_visible_to(w.user(role))) == {w.contracts_entry_a}, role
    assert set(time_entries_visible_to(w.outsider[Role.L1_AGENT])) == {w.contracts_entry_b}


def test_r1_2_time_entries_visible_to_the_vendor_on_escalated_tickets(full_world):
    w = full_world
    for role in VENDOR_ROLES:
        assert set(time_entries_visible_to(w.user(role))) == {w.contracts_entry_a, w.contracts_entry_b}, role


def test_r1_5_time_entries_visible_to_a_disabled_user_are_none(full_world):
    w = full_world
    assert not time_entries_visible_to(disabled(w.user(Role.L1_AGENT))).exists()
    assert not time_entries_visible_to(disabled(w.user(Role.L2_AGENT))).exists()


def test_r1_1_time_entry_events_visible_to_the_owner_and_colleagues_not_the_outsider(full_world):
    w = full_world
    ticket = w.contracts_ticket_a
    booked = {e.entry_number for e in time_entry_events_visible_to(w.user(Role.L1_AGENT), ticket)}
    assert booked == {w.contracts_entry_a.pk}
    assert time_entry_events_visible_to(w.user(Role.PARTNER_ADMIN), ticket).count() == 1
    for role in PARTNER_ROLES:
        assert not time_entry_events_visible_to(w.outsider[role], ticket).exists(), role


def test_r1_2_time_entry_events_visible_to_the_vendor_on_escalated_tickets_only(full_world):
    w = full_world
    for role in VENDOR_ROLES:
        assert time_entry_events_visible_to(w.user(role), w.contracts_ticket_a).count() == 1, role
        assert not time_entry_events_visible_to(w.user(role), w.contracts_first_level_ticket_a).exists(), role


def test_r1_5_time_entry_events_visible_to_a_disabled_user_are_none(full_world):
    w = full_world
    for role in (Role.L1_AGENT, Role.L2_AGENT):
        assert not time_entry_events_visible_to(disabled(w.user(role)), w.contracts_ticket_a).exists(), role
