"""Every change of a time entry leaves its trace (R4.7): booking, correction, deletion, billable flips."""

from __future__ import annotations

import pytest
from django.db import transaction

from partnerdesk.accounts.choices import Role
from partnerdesk.worklog import selectors, services
from partnerdesk.worklog.models import TimeEntry, TimeEntryEvent
from tests.contracts.conftest import ago, book, escalated_ticket


def _events(ticket):
    return list(TimeEntryEvent.objects.filter(ticket=ticket).order_by("pk"))


def test_r4_7_booking_writes_a_booked_event_with_who_when_and_after(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 50)
    [event] = _events(ticket)
    assert (event.kind, event.entry_number, event.actor, event.before) == ("booked", entry.pk, agent, None)
    assert event.after["minutes"] == 50 and event.after["units"] == 4 and event.after["included_units"] == 4


def test_r4_7_correction_keeps_before_and_after(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 30, text="first")
    services.correct_time_entry(acting_user=agent, entry=entry, minutes=50, text="fixed")
    event = _events(ticket)[-1]
    assert event.kind == "corrected" and event.entry_number == entry.pk
    assert (event.before["minutes"], event.before["units"], event.before["text"]) == (30, 2, "first")
    assert (event.after["minutes"], event.after["units"], event.after["text"]) == (50, 4, "fixed")


def test_r4_7_deletion_leaves_a_trace_after_the_entry_is_gone(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 45)
    number = entry.pk
    services.delete_time_entry(acting_user=agent, entry=entry)
    assert not TimeEntry.objects.filter(pk=number).exists()
    event = _events(ticket)[-1]
    assert (event.kind, event.entry_number, event.after) == ("deleted", number, None)
    assert event.before["minutes"] == 45 and event.before["included_units"] == 3


def test_r4_6_every_billable_flip_is_recorded(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 30)
    billing = world.user(Role.BILLING)
    services.set_entry_billable(acting_user=agent, entry=entry, billable=False)
    services.set_entry_billable(acting_user=billing, entry=entry, billable=False)  # no change, no row
    services.set_entry_billable(acting_user=billing, entry=entry, billable=True)
    kinds = [(e.kind, e.actor) for e in _events(ticket)]
    assert kinds == [("booked", agent), ("not_billable", agent), ("billable", billing)]
    flip = _events(ticket)[1]
    assert (flip.before["billable"], flip.before["included_units"]) == (True, 2)
    assert (flip.after["billable"], flip.after["included_units"]) == (False, 0)


def test_r4_7_history_is_written_in_the_same_transaction(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    with pytest.raises(RuntimeError), transaction.atomic():
        book(agent, ticket, 30)
        raise RuntimeError("rolled back")
    assert not TimeEntry.objects.exists() and not TimeEntryEvent.objects.exists()


def test_r4_7_refused_change_writes_no_history(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 30)
    TimeEntry.objects.filter(pk=entry.pk).update(invoiced_at=ago(hours=1))
    with pytest.raises(Exception, match="invoiced"):
        services.delete_time_entry(acting_user=agent, entry=entry)
    assert [e.kind for e in _events(ticket)] == ["booked"]


def test_r4_3_correction_moves_the_entry_to_the_term_its_new_start_falls_in(world, agent):
    from tests.contracts.conftest import make_contract

    contract = make_contract(world, "L", start=ago(days=400).date())
    ticket = escalated_ticket(contract)
    entry = book(agent, ticket, 60, started_at=ago(days=1))
    assert entry.term.index == 1
    moved = services.correct_time_entry(acting_user=agent, entry=entry, started_at=ago(days=380))
    assert moved.term.index == 0
    terms = {t.index: t for t in contract.terms.all()}
    assert (terms[0].included_units_used, terms[1].included_units_used) == (4, 0)
    assert selectors.ledger_discrepancies(contract) == []


def test_r1_1_history_is_seen_only_by_those_who_see_the_ticket(world, agent, l_contract, api_as):
    ticket = escalated_ticket(l_contract)
    book(agent, ticket, 30)
    own = api_as(Role.PARTNER_ADMIN).get(f"tickets/{ticket.pk}/time-entry-events")
    assert own.status_code == 200 and [e["kind"] for e in own.json()["items"]] == ["booked"]
    outsider = world.outsider[Role.PARTNER_ADMIN]
    assert selectors.time_entry_events_visible_to(outsider, ticket).count() == 0


def test_r4_7_agent_takes_back_a_mistaken_entry_on_the_ticket_page_and_the_page_shows_the_trace(
    world, agent, l_contract, client
):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 45)
    client.force_login(agent, backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    response = client.post(f"/tickets/{ticket.pk}/time/{entry.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    assert l_contract.terms.get().included_units_used == 0
    page = response.content.decode()
    assert "Deleted" in page and f"#{entry.pk}" in page


def test_r4_7_invoiced_entry_cannot_be_deleted_from_the_page(world, agent, l_contract, client):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 45)
    TimeEntry.objects.filter(pk=entry.pk).update(invoiced_at=ago(hours=1))
    client.force_login(agent, backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    response = client.post(f"/tickets/{ticket.pk}/time/{entry.pk}/delete/", follow=True)
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
    assert "invoiced" in response.content.decode()


def test_r4_1_partner_cannot_delete_vendor_time(world, agent, l_contract, client):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 45)
    client.force_login(world.user(Role.PARTNER_ADMIN), backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    client.post(f"/tickets/{ticket.pk}/time/{entry.pk}/delete/")
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
