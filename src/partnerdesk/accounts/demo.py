"""A believable installation: TUXGUARD (groupios), two partners, their end customers, every role.

Idempotent: running it again finds what it made and makes nothing twice. Passwords are derived from
the installation's secret, so they are stable per installation and not written in the source.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from .choices import OrganisationKind, Role
from .models import ContactPerson, EndCustomer, Partner, User, Vendor


@dataclass
class DemoLogin:
    email: str
    password: str
    role: str
    organisation: str


@dataclass
class DemoWorld:
    vendor: Vendor
    partners: list[Partner] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)


def demo_password(email: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo:{email}".encode(), hashlib.sha256).hexdigest()
    return f"Demo-{digest[:12]}"


VENDOR_USERS = [
    ("admin@groupios.example", "Anna Admin", Role.VENDOR_ADMIN),
    ("sales@groupios.example", "Sven Sales", Role.SALES),
    ("billing@groupios.example", "Birgit Billing", Role.BILLING),
    ("l2@groupios.example", "Lena Second", Role.L2_AGENT),
    ("l3@groupios.example", "Lars Third", Role.L3_ENGINEER),
]

PARTNERS = [
    {
        "number": 7,
        "name": "Nordlicht Systemhaus GmbH",
        "street": "Hafenstraße 12",
        "postal_code": "20457",
        "city": "Hamburg",
        "vat_id": "DE123456789",
        "email": "support@nordlicht-it.example",
        "domain": "nordlicht-it.example",
        "end_customers": [
            (
                "Bäckerei Hansen KG",
                "Kiel",
                [("Jens Hansen", "j.hansen@baeckerei-hansen.example", "+49 431 555010")],
            ),
            (
                "Reederei Petersen AG",
                "Hamburg",
                [
                    ("Maren Petersen", "it@reederei-petersen.example", "+49 40 555222"),
                    ("Ole Brandt", "o.brandt@reederei-petersen.example", "+49 40 555223"),
                ],
            ),
            (
                "Praxis Dr. Wolff",
                "Lübeck",
                [("Dr. Katrin Wolff", "praxis@wolff-luebeck.example", "+49 451 555900")],
            ),
        ],
    },
    {
        "number": 12,
        "name": "Alpen IT-Service e.K.",
        "street": "Leopoldstraße 40",
        "postal_code": "80802",
        "city": "München",
        "vat_id": "DE987654321",
        "email": "service@alpen-it.example",
        "domain": "alpen-it.example",
        "end_customers": [
            (
                "Brauerei Huber GmbH",
                "Rosenheim",
                [("Franz Huber", "f.huber@brauerei-huber.example", "+49 8031 55501")],
            ),
            (
                "Steuerkanzlei Maier",
                "Augsburg",
                [("Sabine Maier", "kanzlei@maier-steuer.example", "+49 821 555777")],
            ),
        ],
    },
]


def _login(world: DemoWorld, user: User) -> None:
    password = demo_password(user.email)
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    world.logins.append(
        DemoLogin(
            email=user.email,
            password=password,
            role=user.role,
            organisation=user.partner.name if user.partner else user_vendor_name(),
        )
    )


def user_vendor_name() -> str:
    return Vendor.current().name


@transaction.atomic
def load_parties() -> DemoWorld:
    vendor = Vendor.current()
    vendor.name = "TUXGUARD"
    vendor.legal_name = vendor.legal_name or "TUXGUARD GmbH"
    vendor.product = "groupios"
    vendor.street = vendor.street or "Musterstraße 1"
    vendor.postal_code = vendor.postal_code or "10115"
    vendor.city = vendor.city or "Berlin"
    vendor.vat_id = vendor.vat_id or "DE811111111"
    vendor.support_email = vendor.support_email or "support@groupios.example"
    vendor.sales_email = vendor.sales_email or settings.PARTNERDESK_SALES_EMAIL
    vendor.domains = vendor.domains or "groupios.com,groupios.example,tuxguard.com"
    vendor.save()
    world = DemoWorld(vendor=vendor)

    for email, name, role in VENDOR_USERS:
        user, _ = User.objects.get_or_create(
            email=email, defaults={"full_name": name, "role": role, "organisation": OrganisationKind.VENDOR}
        )
        _login(world, user)

    for spec in PARTNERS:
        partner, _ = Partner.objects.get_or_create(
            number=spec["number"],
            defaults={k: spec[k] for k in ("name", "street", "postal_code", "city", "vat_id", "email")},
        )
        world.partners.append(partner)
        for number, (name, city, contacts) in enumerate(spec["end_customers"], start=1):
            end_customer, created = EndCustomer.objects.get_or_create(
                partner=partner, number=number, defaults={"name": name, "city": city}
            )
            if created:
                for contact_name, contact_email, phone in contacts:
                    ContactPerson.objects.create(
                        end_customer=end_customer, name=contact_name, email=contact_email, phone=phone
                    )
        domain = spec["domain"]
        for local, full_name, role in (
            ("admin", "Partner Admin", Role.PARTNER_ADMIN),
            ("l1", "First Level", Role.L1_AGENT),
        ):
            user, _ = User.objects.get_or_create(
                email=f"{local}@{domain}",
                defaults={
                    "full_name": f"{full_name} ({partner.code})",
                    "role": role,
                    "organisation": OrganisationKind.PARTNER,
                    "partner": partner,
                },
            )
            _login(world, user)
    return world
