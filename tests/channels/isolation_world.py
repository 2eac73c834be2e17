"""Inbound mail's part of the tenant-isolation walk (tests/isolation.py): inboxes and originals."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.channels.addresses import reply_address
from partnerdesk.channels.inbound import receive
from tests.contact.conftest import escalated_ticket

from .conftest import build_mail


def extend_world(world: Any) -> None:
    """A mail in the vendor's inbox, one in each partner's inbox, and one delivered on each partner's ticket."""
    world.inbound_vendor_inbox = receive(build_mail(sender="walker@nowhere.example", subject="Stray")).mail.pk
    for suffix, l1 in (("a", world.users[Role.L1_AGENT]), ("b", world.outsider[Role.L1_AGENT])):
        partner, customer = getattr(world, f"partner_{suffix}"), getattr(world, f"customer_{suffix}")
        ticket = escalated_ticket(partner, customer, subject=f"Mailed ticket {suffix}")  # its own: others count
        quarantined = receive(build_mail(sender=f"stranger-{suffix}@nowhere.example", to=reply_address(ticket.pk)))
        delivered = receive(build_mail(sender=l1.email, to=reply_address(ticket.pk), body=f"Thread mail {suffix}"))
        setattr(world, f"inbound_inbox_{suffix}", quarantined.mail.pk)
        setattr(world, f"inbound_delivered_{suffix}", delivered.mail.pk)


def _own(world: Any, user: User) -> int:
    if user.role == Role.VENDOR_ADMIN:
        return world.inbound_vendor_inbox
    if user.role == Role.PARTNER_ADMIN:
        return world.inbound_inbox_a
    return world.inbound_delivered_a


def _foreign(world: Any, user: User) -> int:
    return world.inbound_inbox_b if user.is_partner else world.inbound_inbox_a


def register(isolation: ModuleType) -> None:
    isolation.ID_KINDS.setdefault("mail_id", isolation.IdKind(own=_own, foreign=_foreign))
    isolation.WORLD_EXTENSIONS.append(extend_world)
