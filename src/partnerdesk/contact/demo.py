"""Demo contact data (`partnerdesk demo`): partner 7 appears under its own brand and has authorised the vendor to
write to and call one contact person on its first escalated ticket. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.tickets.models import Ticket

from . import services
from .choices import AppearAs, Channel
from .models import Brand, ContactAuthorization


@transaction.atomic
def load_contact(world: Any) -> None:
    partner = next((p for p in world.partners if p.number == 7), None)
    if partner is None:
        return
    Brand.objects.get_or_create(
        partner=partner,
        defaults={
            "name": "Nordlicht IT",
            "sender_name": "Nordlicht IT Support",
            "sender_email": partner.email or "support@nordlicht-it.example",
            "signature": f"{partner.name}\n{partner.street}, {partner.postal_code} {partner.city}",
            "primary_colour": "#005f73",
        },
    )
    if ContactAuthorization.objects.filter(partner=partner).exists():
        return
    ticket = Ticket.objects.filter(partner=partner, escalated_at__isnull=False).order_by("pk").first()
    granter = User.objects.filter(partner=partner, role=Role.PARTNER_ADMIN, is_active=True).order_by("pk").first()
    person = ticket.end_customer.contacts.order_by("pk").first() if ticket is not None else None
    if ticket is None or granter is None or person is None:
        return
    services.grant_authorization(
        acting_user=granter,
        end_customer=ticket.end_customer,
        ticket=ticket,
        channels=[Channel.EMAIL, Channel.CALL],
        contact_persons=[person],
        valid_until=timezone.now() + timedelta(days=14),
        appear_as=AppearAs.PARTNER,
    )
