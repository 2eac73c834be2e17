"""Tickets test helpers: a completely captured ticket, contracts from the contracts helpers."""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets import services
from partnerdesk.tickets.choices import Category
from partnerdesk.tickets.models import Ticket
from tests.contracts.conftest import make_contract
from tests.factories import manual_section

COMPLETE_CAPTURE = {
    "product": "groupios",
    "product_version": "4.2.1",
    "environment": "Debian 12, 2 nodes, behind HAProxy",
    "description": "VPN tunnels drop every 20 minutes.",
    "steps_to_reproduce": "Open a tunnel, wait 20 minutes.",
    "expected_behaviour": "The tunnel stays up.",
    "actual_behaviour": "The tunnel drops and reconnects.",
    "error_messages": "ipsec: DPD timeout",
    "business_impact": "Field staff lose connection to the ERP.",
    "tried_by_first_level": "Restarted the service, raised the DPD timeout.",
    "category": Category.MALFUNCTION,
}


def captured_ticket(world: Any, subject: str = "VPN drops", **overrides: Any) -> Ticket:
    """A first-level ticket of partner A with a complete capture (a manual section consulted, R5.2)."""
    capture = {"manual_section_ids": [manual_section().pk], **COMPLETE_CAPTURE, **overrides}
    return services.create_ticket(
        acting_user=world.user(Role.L1_AGENT), end_customer=world.customer_a, subject=subject, **capture
    )


@pytest.fixture
def l_contract(world: Any) -> Any:
    return make_contract(world, "L")


@pytest.fixture
def ticket(world: Any) -> Ticket:
    return captured_ticket(world)
