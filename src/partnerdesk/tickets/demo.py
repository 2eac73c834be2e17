"""Demo tickets (`partnerdesk demo`): a case still being captured at first level, and one escalated
through the real services with a vendor answer, so the queue, the clocks and the thread show something.

Idempotent: tickets are found by subject and made once.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.manual.demo import demo_section_ids

from . import services
from .choices import Category, MessageKind
from .models import Ticket

CAPTURED = {
    "product": "groupios",
    "product_version": "4.2.1",
    "environment": "Two appliances in a cluster, Debian 12, behind a HAProxy",
    "description": "After the update to 4.2.1 the admin login page takes 40 seconds to load.",
    "steps_to_reproduce": "Open https://appliance/admin and log in.",
    "expected_behaviour": "The page loads in under two seconds.",
    "actual_behaviour": "The page loads after about 40 seconds; afterwards it is fast.",
    "error_messages": "nginx: upstream timed out (110) while reading response header",
    "business_impact": "Administrators cannot react quickly to incidents.",
    "tried_by_first_level": "Restarted both nodes, cleared the browser cache, checked DNS.",
    "category": Category.MALFUNCTION,
}


@transaction.atomic
def load_tickets(world: Any) -> None:
    partner = next((p for p in world.partners if p.number == 7), None)
    if partner is None:
        return
    l1 = User.objects.filter(partner=partner, role=Role.L1_AGENT).first()
    l2 = User.objects.filter(role=Role.L2_AGENT, is_active=True).first()
    customers = list(partner.end_customers.order_by("number"))
    if l1 is None or l2 is None or len(customers) < 2:
        return
    if not Ticket.objects.filter(partner=partner, subject="Admin login slow after 4.2.1").exists():
        ticket = services.create_ticket(
            acting_user=l1,
            end_customer=customers[0],
            subject="Admin login slow after 4.2.1",
            manual_section_ids=demo_section_ids("5.1", "9.4"),
            **CAPTURED,
        )
        letter = services.post_message(
            acting_user=l1,
            ticket=ticket,
            kind=MessageKind.END_CUSTOMER,
            body="Customer reports: the login page hangs every morning after the nightly backup.",
        )
        services.post_message(
            acting_user=l1,
            ticket=ticket,
            kind=MessageKind.PARTNER_NOTE,
            body="Customer's maintenance contract renews in March.",
        )
        services.escalate(acting_user=l1, ticket=ticket, shared_message_ids=[letter.pk])
        services.post_message(
            acting_user=l2,
            ticket=ticket,
            kind=MessageKind.THREAD,
            body="Thank you. Please send the nginx error log from both nodes.",
        )
    if not Ticket.objects.filter(partner=partner, subject="Certificate renewal questions").exists():
        services.create_ticket(
            acting_user=l1,
            end_customer=customers[1],
            subject="Certificate renewal questions",
            product="groupios",
            description="How do we renew the web certificate before it expires?",
            category=Category.OPERATION,
        )
    if not Ticket.objects.filter(partner=partner, subject="IPsec tunnel to the branch drops every hour").exists():
        # Solved at first level with the manual (R8.3): the deflection report has a case to count.
        ticket = services.create_ticket(
            acting_user=l1,
            end_customer=customers[1],
            subject="IPsec tunnel to the branch drops every hour",
            product="groupios",
            product_version="4.2.1",
            description="The site-to-site tunnel to the branch office drops every hour for a minute.",
            error_messages="charon: CHILD_SA rekeying failed, DPD timeout",
            category=Category.MALFUNCTION,
            manual_section_ids=demo_section_ids("7.3", "7.4"),
        )
        services.resolve(
            acting_user=l1,
            ticket=ticket,
            note="Same PFS group and lifetime on both sides; only our side starts the rekeying.",
            solved_with_manual=True,
            manual_section_ids=demo_section_ids("7.4"),
        )
