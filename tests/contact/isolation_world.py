"""Contact's part of the tenant-isolation walk (tests/isolation.py): authorisations, contact persons, mail, brand."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.contact import services
from partnerdesk.contact.choices import AppearAs, Channel

from .conftest import escalated_ticket, first_level_ticket, white_label


def _ticket(world: Any, suffix: str) -> Any:
    """The escalated ticket of partner A or B that the other parts use; our own when run alone."""
    existing = getattr(world, f"contracts_ticket_{suffix}", None)
    if existing is not None:
        return existing
    partner, customer = (world.partner_a, world.customer_a) if suffix == "a" else (world.partner_b, world.customer_b)
    return escalated_ticket(partner, customer, subject=f"Contact {suffix}")


def extend_world(world: Any) -> None:
    """Partner A and B each authorise the vendor for their escalated ticket and white-label their brand; partner A
    also authorises a ticket still at first level (invisible to the vendor, R1.2)."""
    until = timezone.now() + timedelta(days=5)
    for suffix, partner, user, person, brand in (
        ("a", world.partner_a, world.users[Role.L1_AGENT], world.contact_a, "Nordlicht IT"),
        ("b", world.partner_b, world.outsider[Role.L1_AGENT], world.contact_b, "Alpen Brand"),
    ):
        white_label(partner, logo=None, name=brand)
        ticket = _ticket(world, suffix)
        authorization = services.grant_authorization(
            acting_user=user,
            end_customer=ticket.end_customer,
            ticket=ticket,
            channels=[Channel.EMAIL],
            contact_persons=[person],
            valid_until=until,
            appear_as=AppearAs.PARTNER,
        )
        setattr(world, f"contact_ticket_{suffix}", ticket)
        setattr(world, f"contact_authorization_{suffix}", authorization)
    hidden = first_level_ticket(world.partner_a, world.customer_a, subject="Contact first level")
    world.contact_authorization_first_level_a = services.grant_authorization(
        acting_user=world.users[Role.L1_AGENT],
        end_customer=world.customer_a,
        ticket=hidden,
        channels=[Channel.CALL],
        contact_persons=[world.contact_a],
        valid_until=until,
        appear_as=AppearAs.VENDOR,
    )


def _foreign_authorization(world: Any, user: User) -> int:
    if user.is_partner:
        return world.contact_authorization_b.pk
    return world.contact_authorization_first_level_a.pk


def _markers(world: Any, user: User) -> list[str]:
    if not hasattr(world, "contact_authorization_a"):
        return []
    if user.is_partner:
        return ["Alpen Brand", "support@alpen-brand.example"]
    return [world.contact_a.name, world.contact_a.email, world.contact_b.name, world.contact_b.email]


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault(
        "authorization_id", kind(own=lambda w, u: w.contact_authorization_a.pk, foreign=_foreign_authorization)
    )
    # A person of partner B's end customer: foreign to everyone asking about partner A's objects.
    isolation.ID_KINDS.setdefault(
        "contact_person_id", kind(own=lambda w, u: w.contact_a.pk, foreign=lambda w, u: w.contact_b.pk)
    )
    isolation.WORLD_EXTENSIONS.append(extend_world)
    isolation.MARKERS.append(_markers)
