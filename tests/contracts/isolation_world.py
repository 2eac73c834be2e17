"""Contracts' part of the tenant-isolation walk (tests/isolation.py): id kinds, world objects, markers."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.contracts import services
from partnerdesk.tickets.choices import Level
from partnerdesk.tickets.models import Ticket
from partnerdesk.worklog import services as worklog_services

from .conftest import ago, escalated_ticket, make_contract


def extend_world(world: Any) -> None:
    """Partner A and partner B each get an individual plan, a contract, an escalated ticket with a time
    entry; partner A also a ticket still at first level (invisible to the vendor, R1.2)."""
    sales, agent = world.user(Role.SALES), world.user(Role.L2_AGENT)
    for suffix, partner in (("a", world.partner_a), ("b", world.partner_b)):
        plan = services.create_plan(
            acting_user=sales,
            code=f"IND-{suffix.upper()}",
            name=f"Individual plan {partner.name}",
            partner=partner,
            values={"rate_scope": "ticket", "rate_tiers": [{"from_unit": 0, "unit_price": 30}]},
        )
        contract = make_contract(world, "L", partner=partner)
        ticket = escalated_ticket(contract, subject=f"Escalated {suffix}")
        entry = worklog_services.book_time_entry(
            acting_user=agent, ticket=ticket, started_at=ago(hours=2), minutes=20, activity="analysis"
        )
        setattr(world, f"contracts_plan_{suffix}", plan)
        setattr(world, f"contracts_contract_{suffix}", contract)
        setattr(world, f"contracts_ticket_{suffix}", ticket)
        setattr(world, f"contracts_entry_{suffix}", entry)
    world.contracts_first_level_ticket_a = Ticket.objects.create(
        partner=world.partner_a, end_customer=world.customer_a, subject="Still at first level", level=Level.FIRST
    )


def _partner_only(foreign: str) -> Any:
    return lambda w, u: getattr(w, foreign).pk if u.is_partner else None


def _foreign_ticket(world: Any, user: User) -> int:
    return (world.contracts_ticket_b if user.is_partner else world.contracts_first_level_ticket_a).pk


def _markers(world: Any, user: User) -> list[str]:
    if not hasattr(world, "contracts_plan_b"):
        return []
    return [world.contracts_plan_b.name] if user.is_partner else []


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault(
        "contract_id", kind(own=lambda w, u: w.contracts_contract_a.pk, foreign=_partner_only("contracts_contract_b"))
    )
    isolation.ID_KINDS.setdefault(
        "plan_id", kind(own=lambda w, u: w.contracts_plan_a.pk, foreign=_partner_only("contracts_plan_b"))
    )
    isolation.ID_KINDS.setdefault("ticket_id", kind(own=lambda w, u: w.contracts_ticket_a.pk, foreign=_foreign_ticket))
    # An entry of partner B's ticket: foreign to partner A, and not an entry of ticket A for anyone.
    isolation.ID_KINDS.setdefault(
        "time_entry_id", kind(own=lambda w, u: w.contracts_entry_a.pk, foreign=lambda w, u: w.contracts_entry_b.pk)
    )
    isolation.WORLD_EXTENSIONS.append(extend_world)
    isolation.MARKERS.append(_markers)
