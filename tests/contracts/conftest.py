"""Contracts test helpers: the standard plans, contracts made through the services, escalated tickets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import EndCustomer, Partner, User
from partnerdesk.contracts import services
from partnerdesk.contracts.models import Contract, Plan
from partnerdesk.tickets.choices import Category, Level, TicketState
from partnerdesk.tickets.models import Ticket
from partnerdesk.worklog import services as worklog_services


def standard_plan(code: str) -> Plan:
    """L, M or S; installed by migration, re-installed here after a transactional test's flush."""
    return {p.code: p for p in services.install_standard_plans()}[code]


def make_contract(
    world: Any,
    code: str = "L",
    *,
    partner: Partner | None = None,
    start: date | None = None,
    overrides: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Contract:
    """A contract made by Sales, active, started a month ago unless told otherwise."""
    return services.create_contract(
        acting_user=world.user(Role.SALES),
        partner=partner or world.partner_a,
        plan=standard_plan(code),
        start_date=start or timezone.localdate() - timedelta(days=30),
        overrides=overrides,
        **kwargs,
    )


def escalated_ticket(contract: Contract, end_customer: EndCustomer | None = None, subject: str = "VPN drops") -> Ticket:
    """A ticket at second level, charged to the contract (escalation itself is the tickets issue)."""
    end_customer = end_customer or contract.partner.end_customers.order_by("pk").first()
    assert end_customer is not None
    return Ticket.objects.create(
        partner=contract.partner,
        end_customer=end_customer,
        subject=subject,
        category=Category.MALFUNCTION,
        level=Level.SECOND,
        state=TicketState.ESCALATED,
        charged_contract=contract,
        escalated_at=timezone.now() - timedelta(days=1),
    )


def ago(**delta: int) -> datetime:
    return timezone.now() - timedelta(**delta)


def book(agent: User, ticket: Ticket, minutes: int, *, started_at: datetime | None = None, **kwargs: Any) -> Any:
    return worklog_services.book_time_entry(
        acting_user=agent,
        ticket=ticket,
        started_at=started_at or ago(hours=2),
        minutes=minutes,
        activity=kwargs.pop("activity", "analysis"),
        **kwargs,
    )


@pytest.fixture
def agent(world: Any) -> User:
    return world.user(Role.L2_AGENT)


@pytest.fixture
def l_contract(world: Any) -> Contract:
    return make_contract(world, "L")


@pytest.fixture
def s_contract(world: Any) -> Contract:
    return make_contract(world, "S")
