"""The demo's tickets are made through the real services, so they look like real ones (R5.2-R5.4, R6.3)."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from partnerdesk.tickets.choices import Level, TicketState
from partnerdesk.tickets.models import Ticket, TicketTransition
from partnerdesk.tickets.services import missing_capture
from partnerdesk.worklog.demo import DEMO_WORK
from partnerdesk.worklog.models import TimeEntry, TimeEntryEvent
from partnerdesk.worklog.selectors import ledger_discrepancies


def test_r5_4_demo_tickets_are_captured_escalated_with_history_clocks_and_booked_time(db):
    call_command("demo", stdout=StringIO())
    call_command("demo", stdout=StringIO())  # idempotent: nothing twice
    subjects = [work[3] for work in DEMO_WORK]
    tickets = list(Ticket.objects.filter(subject__in=subjects))
    assert sorted(t.subject for t in tickets) == sorted(subjects)
    for ticket in tickets:
        assert ticket.level == Level.SECOND and ticket.state == TicketState.ESCALATED
        assert missing_capture(ticket) == [], ticket.subject  # a consulted manual section linked too (R5.2)
        assert ticket.charged_contract_id is not None and ticket.escalated_at is not None
        assert ticket.first_response_due_at is not None, ticket.subject
        transitions = TicketTransition.objects.filter(ticket=ticket).order_by("pk")
        assert [t.to_state for t in transitions][-1] == TicketState.ESCALATED
        entries = TimeEntry.objects.filter(ticket=ticket)
        expected = next(work[4] for work in DEMO_WORK if work[3] == ticket.subject)
        assert entries.count() == len(expected)
        assert TimeEntryEvent.objects.filter(ticket=ticket, kind="booked").count() == len(expected)
    for contract in {t.charged_contract for t in tickets}:
        assert ledger_discrepancies(contract) == []
