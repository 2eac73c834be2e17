"""Demo contracts (`partnerdesk demo`): the standard plans, contracts of both demo partners, some
escalated tickets with booked time, so the contract pages show use and a next-invoice preview.

Idempotent: a partner that has contracts already gets nothing new.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.tickets.choices import Category, Level, TicketState
from partnerdesk.tickets.models import Ticket

from . import services
from .models import Contract

# (partner number, plan, days since start, end customer numbers or None for all, tickets)
# tickets: (end customer number, subject, [(days ago, minutes, activity, billable)])
DEMO_CONTRACTS: list[
    tuple[int, str, int, list[int] | None, list[tuple[int, str, list[tuple[int, int, str, bool]]]]]
] = [
    (
        7,
        "L",
        240,
        None,
        [
            (1, "Cluster failover after update 4.2", [(30, 95, "remote_maintenance", True), (29, 40, "email", True)]),
            (
                2,
                "Mail relay rejects signed messages",
                [(12, 60, "web_meeting", True), (11, 25, "callback", True), (10, 45, "analysis", False)],
            ),
            (3, "Backup job stops at 80 %", [(3, 80, "analysis", True)]),
        ],
    ),
    (
        12,
        "M",
        100,
        None,
        [
            (1, "VPN tunnel drops every night", [(20, 90, "remote_maintenance", True), (6, 60, "callback", True)]),
        ],
    ),
    (
        12,
        "S",
        60,
        [2],
        [
            (2, "Certificate import fails", [(5, 70, "web_meeting", True)]),
        ],
    ),
]


@transaction.atomic
def load_contracts(world: Any) -> None:
    services.install_standard_plans()
    sales = User.objects.filter(role=Role.SALES, is_active=True).order_by("pk").first()
    agent = User.objects.filter(role=Role.L2_AGENT, is_active=True).order_by("pk").first()
    if sales is None or agent is None:
        return
    partners = {p.number: p for p in world.partners}
    seeded = {number for number, partner in partners.items() if Contract.objects.filter(partner=partner).exists()}
    plans = {p.code: p for p in services.install_standard_plans()}
    today, now = timezone.localdate(), timezone.now()
    for number, code, days, customers, tickets in DEMO_CONTRACTS:
        partner = partners.get(number)
        if partner is None or number in seeded:
            continue
        end_customers = {ec.number: ec for ec in partner.end_customers.all()}
        contract = services.create_contract(
            acting_user=sales,
            partner=partner,
            plan=plans[code],
            start_date=today - timedelta(days=days),
            covers_all_end_customers=customers is None,
            end_customers=[end_customers[n] for n in customers or []],
            reason="Demo",
        )
        for customer, subject, entries in tickets:
            ticket = Ticket.objects.create(
                partner=partner,
                end_customer=end_customers[customer],
                subject=subject,
                category=Category.MALFUNCTION,
                level=Level.SECOND,
                state=TicketState.ESCALATED,
                charged_contract=contract,
                escalated_at=now - timedelta(days=max(e[0] for e in entries) + 1),
            )
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
