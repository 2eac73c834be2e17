"""Test data factories (factory_boy). Users get the password `PASSWORD`."""

from __future__ import annotations

from typing import Any

import factory

from partnerdesk.accounts.choices import OrganisationKind, Role
from partnerdesk.accounts.models import ContactPerson, EndCustomer, Partner, User

PASSWORD = "correct horse battery staple"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Partner {n} GmbH")
    city = "Berlin"


class EndCustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EndCustomer

    partner = factory.SubFactory(PartnerFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Customer {n} AG")
    city = "Hamburg"


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    end_customer = factory.SubFactory(EndCustomerFactory)
    name = factory.Sequence(lambda n: f"Erika Muster{n}")
    email = factory.Sequence(lambda n: f"erika{n}@customer.example")
    phone = factory.Sequence(lambda n: f"+49 30 5550{n:03d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Sequence(lambda n: f"User {n}")
    organisation = OrganisationKind.VENDOR
    role = Role.L2_AGENT
    partner = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


def vendor_user(role: str, **kwargs: object) -> User:
    return UserFactory(organisation=OrganisationKind.VENDOR, role=role, partner=None, **kwargs)


def partner_user(partner: Partner, role: str = Role.L1_AGENT, **kwargs: object) -> User:
    return UserFactory(organisation=OrganisationKind.PARTNER, role=role, partner=partner, **kwargs)


def manual_section(
    number: str = "7.4",
    title: str = "IPsec: rekeying and dead peer detection",
    body: str = "If the tunnel drops at rekeying, match the lifetimes and the PFS group on both sides.",
    *,
    language: str = "en",
    product: str = "groupios",
    published: bool = True,
    version_from: str = "",
    version_to: str = "",
) -> Any:
    """A manual section as the importer writes it (derived columns filled, published unless asked)."""
    from django.utils import timezone

    from partnerdesk.manual import services as manual_services
    from partnerdesk.manual.choices import SectionStatus
    from partnerdesk.manual.models import Section

    section = Section.objects.filter(product=product, language=language, number=number).first() or Section(
        product=product, language=language, number=number
    )
    section.title, section.body = title, body
    section.version_from, section.version_to = version_from, version_to
    section.status = SectionStatus.PUBLISHED if published else SectionStatus.DRAFT
    section.published_at = timezone.now() if published else None
    return manual_services._save(section, None)
