"""White label (R9.6): whose brand an end customer sees, and the one way end-customer templates render.

Convention: every template an end customer can see lives under `templates/<app>/end_customer/` (in any
app) and is rendered only through `render_end_customer`, with the context `end_customer_context` builds:
`brand` (an `EffectiveBrand`) plus the values the caller passes. Such templates never use context
processors, settings or the request, so nothing but the chosen brand can reach them. The leak test
(tests/contact/test_leaks.py) finds these templates by that directory convention and renders each one
with a white-label partner's brand.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Partner, Vendor
from partnerdesk.accounts.validation import one_line

from .choices import AppearAs
from .models import Brand

LOGO_CID = "brand-logo"


@dataclass(frozen=True)
class EffectiveBrand:
    """What an end customer sees of the sender: the partner's brand, or the vendor's when the partner chose
    "appear as vendor"."""

    name: str
    sender_name: str
    sender_email: str
    signature: str
    primary_colour: str
    text_colour: str
    logo: bytes | None
    logo_content_type: str
    appear_as: str
    language: str = "de"

    @property
    def sender(self) -> str:
        """The From header: "Name <address>"."""
        # one_line: a name stored before header fields were validated must not break every mail.
        return formataddr((one_line(self.sender_name or self.name), self.sender_email))

    @property
    def sender_domain(self) -> str:
        return self.sender_email.rpartition("@")[2]

    @property
    def logo_data_uri(self) -> str:
        """For pages (the CSP allows data: images)."""
        if not self.logo:
            return ""
        return f"data:{self.logo_content_type};base64,{base64.b64encode(self.logo).decode('ascii')}"


def brand_of(partner: Partner) -> Brand:
    """The partner's saved brand, or an unsaved one made from the partner's own name and address."""
    try:
        return partner.brand
    except Brand.DoesNotExist:
        return Brand(partner=partner, name=partner.name, sender_email=partner.email)


def effective_brand(*, partner: Partner, appear_as: str) -> EffectiveBrand:
    if appear_as == AppearAs.PARTNER:
        brand = brand_of(partner)
        return EffectiveBrand(
            name=brand.name or partner.name,
            sender_name=brand.sender_name or brand.name or partner.name,
            sender_email=brand.sender_email or partner.email,
            signature=brand.signature or brand.name or partner.name,
            primary_colour=brand.primary_colour,
            text_colour=brand.text_colour,
            logo=bytes(brand.logo) if brand.logo else None,
            logo_content_type=brand.logo_content_type,
            appear_as=AppearAs.PARTNER,
            language=brand.language,
        )
    vendor = Vendor.current()
    language = brand_of(partner).language
    with translation.override(language):
        signature = _("%(vendor)s Support") % {"vendor": vendor.name}
    return EffectiveBrand(
        name=vendor.name,
        sender_name=signature,
        sender_email=vendor.support_email or settings.DEFAULT_FROM_EMAIL,
        signature=signature,
        primary_colour="#0b6bcb",
        text_colour="#1d2733",
        logo=None,
        logo_content_type="",
        appear_as=AppearAs.VENDOR,
        language=language,
    )


def end_customer_context(*, brand: EffectiveBrand, logo_src: str = "", **values: Any) -> dict[str, Any]:
    """The whole context of an end-customer template: the brand and the caller's values, nothing else."""
    return {"brand": brand, "logo_src": logo_src if brand.logo else "", **values}


def render_end_customer(template_name: str, *, brand: EffectiveBrand, logo_src: str = "", **values: Any) -> str:
    """Render in the brand's language with only the brand and the given values (no request, no settings)."""
    if "/end_customer/" not in template_name:
        raise ValueError(f"{template_name} is not an end-customer template (templates/<app>/end_customer/)")
    with translation.override(brand.language):
        return render_to_string(template_name, end_customer_context(brand=brand, logo_src=logo_src, **values))
