"""Billing test helpers: contracts started on given days, work booked on given days, a billing run; the
e-invoice rule sets compiled once per session."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import Partner
from partnerdesk.billing import services
from partnerdesk.billing.models import BillingRun, BillingSettings, Invoice
from partnerdesk.billing.periods import Period, period_of
from partnerdesk.contracts.models import Contract
from partnerdesk.contracts.pricing import add_months
from partnerdesk.tickets.models import Ticket
from tests.billing.validation import Validator
from tests.contracts.conftest import book, escalated_ticket, make_contract
from tests.factories import EndCustomerFactory, PartnerFactory


def last_month() -> Period:
    return period_of(add_months(timezone.localdate().replace(day=1), -1))


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def new_partner(name: str, **fields: Any) -> Partner:
    partner = PartnerFactory(name=name, **fields)
    EndCustomerFactory(partner=partner, number=1, name=f"Kunde von {name}")
    return partner


def contract_from(world: Any, code: str, partner: Partner, start: date) -> Contract:
    return make_contract(world, code, partner=partner, start=start)


def ticket_of(contract: Contract, subject: str = "VPN drops") -> Ticket:
    return escalated_ticket(contract, subject=subject)


def work(world: Any, ticket: Ticket, minutes: int, day: date, hour: int = 10) -> Any:
    return book(world.user(Role.L2_AGENT), ticket, minutes, started_at=at(day, hour))


def run_period(period: Period, *, dry_run: bool = False) -> BillingRun:
    run = BillingRun.objects.create(
        period=period.key, period_start=period.start, period_end=period.end, dry_run=dry_run
    )
    return services.execute_billing_run(run)


def invoice_of(partner: Partner) -> Invoice:
    return Invoice.objects.get(partner=partner, type_code=380)


@pytest.fixture
def seller(db: Any) -> BillingSettings:
    row = BillingSettings.current()
    row.name, row.street, row.postal_code, row.city = "TUXGUARD GmbH", "Hafenstraße 1", "20457", "Hamburg"
    row.vat_id, row.iban, row.bic, row.bank_name = "DE136695976", "DE02120300000000202051", "BYLADEM1001", "DKB"
    row.payment_terms_days = 14
    row.save()
    return row


def line_tuples(invoice: Invoice) -> list[tuple[str, str, str, str]]:
    return [
        (line.kind, str(line.quantity), str(line.unit_price), str(line.net))
        for line in invoice.lines.order_by("position")
    ]


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator()
