"""The reports' known data set: two partners, an M and an L contract, time booked in September and October
2026, invoices with a cancellation, escalated tickets with service-level times on Tuesday 10 November 2026.

Figures the tests expect are worked out by hand from this set (units of 15 minutes; M: 16 included units,
24.75 per extra unit, fee 499.00; L: 32 included units, 22.25 per extra unit, fee 899.00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from partnerdesk.billing.models import Invoice, InvoiceCounter
from partnerdesk.billing.services import format_number
from partnerdesk.contracts.models import Contract
from partnerdesk.tickets import clocks
from partnerdesk.tickets.models import Ticket
from tests.contracts.conftest import book, escalated_ticket, make_contract

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@dataclass
class DataSet:
    world: Any
    contract_a: Contract  # partner A, plan M
    contract_b: Contract  # partner B, plan L
    ticket_a: Ticket
    ticket_b: Ticket
    sla: dict[str, Ticket]


def _invoice(partner: Any, sequence: int, issued: date, net: int, preceding: Invoice | None = None) -> Invoice:
    InvoiceCounter.objects.update_or_create(series="RP", defaults={"last_number": sequence})
    return Invoice.objects.create(
        series="RP",
        sequence=sequence,
        number=format_number("RP", sequence),
        type_code=384 if preceding else 380,
        partner=partner,
        period=f"{issued:%Y-%m}",
        period_start=issued.replace(day=1),
        period_end=issued,
        issued_on=issued,
        due_on=issued + timedelta(days=14),
        issued_at=berlin(issued.year, issued.month, issued.day, 8),
        seller={"name": "Vendor"},
        buyer={"name": partner.name},
        net_cents=net,
        vat_cents=net * 19 // 100,
        gross_cents=net + net * 19 // 100,
        preceding=preceding,
    )


@pytest.fixture
def data(world: Any) -> DataSet:
    agent = world.user("l2_agent")
    contract_a = make_contract(world, "M", partner=world.partner_a, start=date(2026, 9, 1))
    contract_b = make_contract(world, "L", partner=world.partner_b, start=date(2026, 9, 1))
    ticket_a = escalated_ticket(contract_a, subject="Time of A")
    ticket_b = escalated_ticket(contract_b, subject="Time of B")
    Ticket.objects.filter(pk__in=[ticket_a.pk, ticket_b.pk]).update(escalated_at=berlin(2026, 9, 1, 9))
    # A: 120 min in September (8 included), 480 min in October (8 included + 24 extra at 24.75 = 594.00).
    book(agent, ticket_a, 120, started_at=berlin(2026, 9, 15, 10))
    book(agent, ticket_a, 480, started_at=berlin(2026, 10, 6, 9))
    # B: 60 min in October (4 included).
    book(agent, ticket_b, 60, started_at=berlin(2026, 10, 7, 10))
    # Invoices of A: 100.00 in September, cancelled in October, re-issued at 150.50 in October.
    first = _invoice(world.partner_a, 1, date(2026, 9, 30), 10_000)
    _invoice(world.partner_a, 2, date(2026, 10, 2), -10_000, preceding=first)
    _invoice(world.partner_a, 3, date(2026, 10, 2), 15_050)
    # Service levels: escalated Tuesday 10 November 2026, 09:00 (support hours Mon-Thu 09:00-17:00).
    escalated = berlin(2026, 11, 10, 9)
    sla = {}
    for key, contract, responded, resolved in (
        ("fast", contract_a, berlin(2026, 11, 10, 10), berlin(2026, 11, 10, 16)),  # 60 and 420 support min
        ("middle", contract_a, berlin(2026, 11, 10, 13), None),  # 240; resolution due long past
        ("late", contract_a, berlin(2026, 11, 11, 10), None),  # 480 + 60 = 540: breached
        ("silent", contract_b, None, None),  # no response, due passed: breached
    ):
        ticket = escalated_ticket(contract, subject=f"SLA {key}")
        response_due = clocks.due_after(escalated, contract.first_response_minutes)
        resolution_due = clocks.due_after(escalated, contract.resolution_minutes)
        Ticket.objects.filter(pk=ticket.pk).update(
            escalated_at=escalated,
            first_response_due_at=response_due,
            first_response_at=responded,
            resolution_due_at=resolution_due,
            due_at=None if resolved else resolution_due if responded else response_due,
            resolved_at=resolved,
            state="resolved" if resolved else "escalated",
        )
        ticket.refresh_from_db()
        sla[key] = ticket
    return DataSet(world, contract_a, contract_b, ticket_a, ticket_b, sla)
