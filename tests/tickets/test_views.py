"""Ticket pages: partner list and capture, escalation with all refusals shown, the vendor's queue (R5, R6.3, R6.5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets.models import Ticket

from .conftest import COMPLETE_CAPTURE, captured_ticket

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r5_1_partner_opens_a_ticket_through_the_form_and_sees_what_is_missing(world):
    l1 = _client(world.user(Role.L1_AGENT))
    response = l1.post(
        "/tickets/new/", {"end_customer": world.customer_a.pk, "subject": "Login fails", "product": "groupios"}
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="Login fails")
    page = l1.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Still missing for escalation" in page and "steps_to_reproduce" in page
    # Another partner's end customer is not offered and is refused.
    refused = l1.post("/tickets/new/", {"end_customer": world.customer_b.pk, "subject": "x"})
    assert refused.status_code == 200 and not Ticket.objects.filter(subject="x").exists()


def test_r5_4_page_escalation_shows_every_failed_condition(world):
    l1 = _client(world.user(Role.L1_AGENT))
    ticket = Ticket.objects.create(
        partner=world.partner_a,
        end_customer=world.customer_a,
        subject="Setup",
        category="installation",
        created_by=world.user(Role.L1_AGENT),
    )
    response = l1.post(f"/tickets/{ticket.pk}/escalate/", {"level": "2"}, follow=True)
    text = response.content.decode()
    assert "contract_id" in text and "category" in text and "description" in text


def test_r6_3_vendor_queue_is_ordered_by_due_time_and_hides_first_level(world, l_contract):
    l1 = _client(world.user(Role.L1_AGENT))
    later = captured_ticket(world, subject="Second escalated")
    sooner = captured_ticket(world, subject="First escalated")
    hidden = captured_ticket(world, subject="Still first level")
    l1.post(f"/tickets/{sooner.pk}/escalate/", {"level": "2"})
    l1.post(f"/tickets/{later.pk}/escalate/", {"level": "2"})
    # Outside support hours both clocks start at the next opening; give the later one a later due time.
    sooner.refresh_from_db()
    Ticket.objects.filter(pk=later.pk).update(due_at=sooner.due_at + timedelta(hours=1))
    page = _client(world.user(Role.L2_AGENT)).get("/tickets/").content.decode()
    assert page.index("First escalated") < page.index("Second escalated")
    assert "Still first level" not in page
    assert _client(world.user(Role.L2_AGENT)).get(f"/tickets/{hidden.pk}/").status_code == 404


def test_r5_9_vendor_writes_in_the_thread_and_partner_reads_it(world, l_contract):
    ticket = captured_ticket(world)
    _client(world.user(Role.L1_AGENT)).post(f"/tickets/{ticket.pk}/escalate/", {"level": "2"})
    vendor = _client(world.user(Role.L2_AGENT))
    vendor.post(f"/tickets/{ticket.pk}/messages/", {"kind": "thread", "body": "Please send the log"})
    vendor.post(f"/tickets/{ticket.pk}/messages/", {"kind": "vendor_note", "body": "Known defect GRP-1"})
    partner_page = _client(world.user(Role.L1_AGENT)).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Please send the log" in partner_page and "Known defect GRP-1" not in partner_page
    assert COMPLETE_CAPTURE["description"] in vendor.get(f"/tickets/{ticket.pk}/").content.decode()


def test_r4_1_vendor_books_time_from_the_ticket_page_on_the_chosen_contract(world, l_contract):
    ticket = captured_ticket(world)
    _client(world.user(Role.L1_AGENT)).post(f"/tickets/{ticket.pk}/escalate/", {"level": "2"})
    vendor = _client(world.user(Role.L2_AGENT))
    started = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    vendor.post(
        f"/tickets/{ticket.pk}/time/",
        {"started_at": started, "minutes": "50", "activity": "analysis", "billable": "on"},
    )
    entry = ticket.time_entries.get()
    assert (entry.contract, entry.units, entry.included_units) == (l_contract, 4, 4)
    # A partner cannot book; zero minutes are refused with the field named.
    _client(world.user(Role.L1_AGENT)).post(
        f"/tickets/{ticket.pk}/time/", {"started_at": started, "minutes": "5", "activity": "analysis"}
    )
    page = vendor.post(
        f"/tickets/{ticket.pk}/time/", {"started_at": started, "minutes": "0", "activity": "analysis"}, follow=True
    ).content.decode()
    assert "Minutes" in page
    assert ticket.time_entries.count() == 1


def test_r5_8_history_names_states_and_reasons_in_the_readers_language(world, l_contract):
    from partnerdesk.tickets import services

    ticket = captured_ticket(world)
    services.escalate(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    services.hand_back(acting_user=world.user(Role.L2_AGENT), ticket=ticket, reason="answered", message="Gelöst?")
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(world.user(Role.L1_AGENT))
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    history = page[page.index('<ol class="history">') :]
    assert "Eskaliert" in history and "Beantwortet" in history
    assert "waiting_for_partner" not in history and "answered" not in history
