"""Who sees which tickets, messages, files, history and defects (R1.1, R1.2, R1.5, R5.5, R5.9, R5.10)."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets import selectors
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message, TicketTransition
from tests.visibility import disabled

PARTNER_ROLES = (Role.PARTNER_ADMIN, Role.L1_AGENT)
VENDOR_ROLES = (Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER)


@pytest.fixture
def tw(full_world):
    """Ticket A also carries the thread, a vendor note, a shared letter and a transition."""
    w = full_world
    ticket = w.contracts_ticket_a
    w.thread = Message.objects.create(ticket=ticket, kind=MessageKind.THREAD, author=w.user(Role.L2_AGENT), body="T")
    w.vendor_note = Message.objects.create(
        ticket=ticket, kind=MessageKind.VENDOR_NOTE, author=w.user(Role.L2_AGENT), body="V"
    )
    w.shared_letter = Message.objects.create(
        ticket=ticket, kind=MessageKind.END_CUSTOMER, author=w.user(Role.L1_AGENT), body="S", shared_with_vendor=True
    )
    w.transition = TicketTransition.objects.create(
        ticket=ticket, actor=w.user(Role.L1_AGENT), from_state="new", to_state="escalated", from_level=1, to_level=2
    )
    return w


def test_r1_1_tickets_visible_to_the_partner_and_its_colleagues_only_their_own(tw):
    mine = {tw.contracts_ticket_a, tw.contracts_first_level_ticket_a, tw.contact_authorization_first_level_a.ticket}
    for role in PARTNER_ROLES:
        seen = set(selectors.tickets_visible_to(tw.user(role)))
        assert mine <= seen and tw.contracts_ticket_b not in seen, role
        assert {t.partner_id for t in seen} == {tw.partner_a.pk}, role
    assert tw.contracts_ticket_a not in set(selectors.tickets_visible_to(tw.outsider[Role.L1_AGENT]))


def test_r1_2_tickets_visible_to_the_vendor_are_the_escalated_ones(tw):
    for role in VENDOR_ROLES:
        seen = set(selectors.tickets_visible_to(tw.user(role)))
        assert {tw.contracts_ticket_a, tw.contracts_ticket_b} <= seen, role
        assert tw.contracts_first_level_ticket_a not in seen, role


def test_r5_9_messages_visible_to_partner_all_but_vendor_notes_vendor_never_partner_notes(tw):
    ticket = tw.contracts_ticket_a
    for role in PARTNER_ROLES:
        assert set(selectors.messages_visible_to(tw.user(role), ticket)) == {
            tw.thread,
            tw.shared_letter,
            tw.tickets_letter_a,
            tw.tickets_note_a,
        }, role
    for role in VENDOR_ROLES:
        assert set(selectors.messages_visible_to(tw.user(role), ticket)) == {
            tw.thread,
            tw.vendor_note,
            tw.shared_letter,
        }, role


def test_r1_1_messages_visible_to_the_outsider_of_a_ticket_are_none(tw):
    for role in PARTNER_ROLES:
        assert not selectors.messages_visible_to(tw.outsider[role], tw.contracts_ticket_a).exists(), role


def test_r5_5_attachments_visible_to_partner_its_files_vendor_only_shared_ones(tw):
    ticket = tw.contracts_ticket_a
    for role in PARTNER_ROLES:
        assert set(selectors.attachments_visible_to(tw.user(role), ticket)) == {
            tw.tickets_shared_file_a,
            tw.tickets_private_file_a,
        }, role
        assert not selectors.attachments_visible_to(tw.outsider[role], ticket).exists(), role
    for role in VENDOR_ROLES:
        assert set(selectors.attachments_visible_to(tw.user(role), ticket)) == {tw.tickets_shared_file_a}, role


def test_r5_10_defects_visible_to_partner_those_of_its_tickets_vendor_all(tw):
    for role in PARTNER_ROLES:
        assert set(selectors.defects_visible_to(tw.user(role))) == {tw.tickets_defect_a}, role
        assert set(selectors.defects_visible_to(tw.outsider[role])) == {tw.tickets_defect_b}, role
    for role in VENDOR_ROLES:
        assert {tw.tickets_defect_a, tw.tickets_defect_b} <= set(selectors.defects_visible_to(tw.user(role))), role


def test_r1_1_transitions_visible_to_owner_colleagues_and_vendor_not_the_outsider(tw):
    ticket = tw.contracts_ticket_a
    for role in (*PARTNER_ROLES, *VENDOR_ROLES):
        assert tw.transition in set(selectors.transitions_visible_to(tw.user(role), ticket)), role
    for role in PARTNER_ROLES:
        assert not selectors.transitions_visible_to(tw.outsider[role], ticket).exists(), role


@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.PARTNER_ADMIN, Role.L2_AGENT, Role.VENDOR_ADMIN])
def test_r1_5_ticket_selectors_show_a_disabled_user_nothing(tw, role):
    ticket = tw.contracts_ticket_a
    user = disabled(tw.user(role))
    assert not selectors.tickets_visible_to(user).exists()
    assert not selectors.messages_visible_to(user, ticket).exists()
    assert not selectors.attachments_visible_to(user, ticket).exists()
    assert not selectors.defects_visible_to(user).exists()
    assert not selectors.transitions_visible_to(user, ticket).exists()
