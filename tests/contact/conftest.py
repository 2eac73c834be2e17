"""Contact test helpers: a white-label partner, escalated tickets, authorisations, a real SMTP server."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, EndCustomer, Partner, Vendor
from partnerdesk.contact import services
from partnerdesk.contact.choices import AppearAs, Channel
from partnerdesk.contact.models import Brand, ContactAuthorization
from partnerdesk.tickets.choices import Category, Level, TicketState
from partnerdesk.tickets.models import Ticket
from tests.factories import ContactPersonFactory

# A tiny PNG (1x1), for the brand's logo.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def escalated_ticket(partner: Partner, end_customer: EndCustomer, subject: str = "VPN drops") -> Ticket:
    """A ticket at second level (how it got there is the tickets app's business)."""
    return Ticket.objects.create(
        partner=partner,
        end_customer=end_customer,
        subject=subject,
        category=Category.MALFUNCTION,
        level=Level.SECOND,
        state=TicketState.ESCALATED,
        escalated_at=timezone.now() - timedelta(days=1),
    )


def first_level_ticket(partner: Partner, end_customer: EndCustomer, subject: str = "Still first level") -> Ticket:
    return Ticket.objects.create(partner=partner, end_customer=end_customer, subject=subject, level=Level.FIRST)


def install_vendor() -> Vendor:
    vendor = Vendor.current()
    vendor.name, vendor.legal_name = "TUXGUARD", "TUXGUARD GmbH"
    vendor.product = "groupios"
    vendor.support_email, vendor.sales_email = "support@groupios.com", "sales@groupios.com"
    vendor.domains = "tuxguard.com,tuxguard.de,groupios.com"
    vendor.save()
    return vendor


def white_label(partner: Partner, *, logo: bytes | None = PNG, name: str = "Nordlicht IT") -> Brand:
    domain = name.lower().replace(" ", "-") + ".example"
    brand, _ = Brand.objects.update_or_create(
        partner=partner,
        defaults={
            "name": name,
            "sender_name": f"{name} Support",
            "sender_email": f"support@{domain}",
            "signature": "Nordlicht IT GmbH · Hafenstraße 1 · 24103 Kiel",
            "primary_colour": "#005f73",
            "text_colour": "#111111",
            "language": "de",
            "logo": logo,
            "logo_content_type": "image/png" if logo else "",
        },
    )
    return brand


@dataclass
class ContactWorld:
    """Partner A (white label) with an escalated ticket for end customer A and three contact persons."""

    world: Any
    ticket: Ticket
    person: ContactPerson  # world.contact_a, Jens Hansen
    colleague: ContactPerson  # a second person of the same end customer
    brand: Brand
    extra: dict[str, Any] = field(default_factory=dict)

    def grant(self, **overrides: Any) -> ContactAuthorization:
        values: dict[str, Any] = {
            "acting_user": self.world.user(Role.L1_AGENT),
            "end_customer": self.ticket.end_customer,
            "ticket": self.ticket,
            "channels": [Channel.EMAIL],
            "contact_persons": [self.person],
            "valid_until": timezone.now() + timedelta(days=2),
            "appear_as": AppearAs.PARTNER,
        }
        values.update(overrides)
        return services.grant_authorization(**values)

    @property
    def agent(self) -> Any:
        return self.world.user(Role.L2_AGENT)


@pytest.fixture
def contact_world(world: Any) -> ContactWorld:
    install_vendor()
    person = world.contact_a
    person.phone = "+49 431 5550123"
    person.save()
    colleague = ContactPersonFactory(
        end_customer=world.customer_a, name="Maria Petersen", email="maria@hansen.example", phone="0431 5550999"
    )
    ticket = escalated_ticket(world.partner_a, world.customer_a)
    return ContactWorld(world, ticket, person, colleague, white_label(world.partner_a))


def expire(authorization: ContactAuthorization) -> None:
    """Let time pass: the authorisation ended a minute ago (test set-up, not an application write)."""
    ContactAuthorization.objects.filter(pk=authorization.pk).update(
        granted_at=timezone.now() - timedelta(days=3), valid_until=timezone.now() - timedelta(minutes=1)
    )


# --- a real SMTP server ------------------------------------------------------------------------------


class Inbox:
    """What the SMTP server received: envelopes and parsed messages."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]  # type: ignore[misc]

    @property
    def raw(self) -> list[str]:
        return [e.original_content.decode("utf-8", "replace") for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Any:
    """An SMTP server on 127.0.0.1 (aiosmtpd) and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=10,
        ):
            yield inbox
    finally:
        controller.stop()
