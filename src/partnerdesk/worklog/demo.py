"""Demo work (`partnerdesk demo`): tickets captured completely at first level, escalated through the
real service onto the demo contracts, with vendor time booked on them, so the contract pages show use
and a next-invoice preview, and the tickets have history rows and clocks like real ones.

Idempotent: a ticket is found by its partner and subject and made once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.contracts.models import Contract
from partnerdesk.manual.demo import demo_section_ids
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import Category
from partnerdesk.tickets.models import Ticket

from . import services

# (partner number, plan of the contract, end customer number, subject, [(days ago, minutes, activity, billable)])
DEMO_WORK: list[tuple[int, str, int, str, list[tuple[int, int, str, bool]]]] = [
    (7, "L", 1, "Cluster failover after update 4.2", [(30, 95, "remote_maintenance", True), (29, 40, "email", True)]),
    (
        7,
        "L",
        2,
        "Mail relay rejects signed messages",
        [(12, 60, "web_meeting", True), (11, 25, "callback", True), (10, 45, "analysis", False)],
    ),
    (7, "L", 3, "Backup job stops at 80 %", [(3, 80, "analysis", True)]),
    (12, "M", 1, "VPN tunnel drops every night", [(20, 90, "remote_maintenance", True), (6, 60, "callback", True)]),
    (12, "S", 2, "Certificate import fails", [(5, 70, "web_meeting", True)]),
]


def _capture(subject: str) -> dict[str, Any]:
    return {
        "product": "groupios",
        "product_version": "4.2.1",
        "environment": "Appliance on Debian 12, 4 cores, 16 GB",
        "description": f"{subject}. Seen by the customer since the last update.",
        "steps_to_reproduce": "See the attached log; happens on every attempt.",
        "expected_behaviour": "The function works as before the update.",
        "actual_behaviour": subject,
        "error_messages": "See the log excerpt in the first message.",
        "business_impact": "The customer works around it by hand.",
        "tried_by_first_level": "Restarted the services, checked the configuration against the manual.",
        "manual_section_ids": demo_section_ids("5.1", "9.4"),
        "category": Category.MALFUNCTION,
    }


@transaction.atomic
def load_work(world: Any) -> None:
    agent = User.objects.filter(role=Role.L2_AGENT, is_active=True).order_by("pk").first()
    if agent is None:
        return
    partners = {p.number: p for p in world.partners}
    now = timezone.now()
    for number, code, customer_number, subject, entries in DEMO_WORK:
        partner = partners.get(number)
        l1 = User.objects.filter(partner=partner, role=Role.L1_AGENT, is_active=True).order_by("pk").first()
        contract = Contract.objects.filter(partner=partner, plan__code=code).order_by("pk").first()
        customer = partner.end_customers.filter(number=customer_number).first() if partner else None
        if l1 is None or contract is None or customer is None:
            continue
        if Ticket.objects.filter(partner=partner, subject=subject).exists():
            continue
        ticket = ticket_services.create_ticket(
            acting_user=l1, end_customer=customer, subject=subject, **_capture(subject)
        )
        ticket = ticket_services.escalate_to_second_level(acting_user=l1, ticket=ticket, contract=contract)
        for days_ago, minutes, activity, billable in entries:
            services.book_time_entry(
                acting_user=agent,
                ticket=ticket,
                started_at=(now - timedelta(days=days_ago)).replace(hour=10, minute=0, second=0, microsecond=0),
                minutes=minutes,
                activity=activity,
                text=subject,
                billable=billable,
            )
