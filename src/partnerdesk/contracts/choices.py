"""Constants and choices of plans and contracts."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import Role

from . import pricing


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"


class RateScope(models.TextChoices):
    """What a rate tier's unit position counts: extra units of the contract term, or of the ticket."""

    CONTRACT_TERM = pricing.CONTRACT_TERM, _("per contract term")
    TICKET = pricing.TICKET, _("per ticket")


class ContractState(models.TextChoices):
    """R3.4."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CANCELLED = "cancelled", _("Cancelled")
    ENDED = "ended", _("Ended")


# A contract in these states runs (until its end date, when it has one).
RUNNING_STATES = (ContractState.ACTIVE, ContractState.CANCELLED)


class ContractEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    ACTIVATED = "activated", _("Activated")
    CANCELLED = "cancelled", _("Cancelled")
    ENDED = "ended", _("Ended")
    RENEWED = "renewed", _("Renewed for another term")


# A billing unit of more than a day is a typing error.
MAX_UNIT_MINUTES = 24 * 60

PLAN_MANAGER_ROLES = (Role.VENDOR_ADMIN, Role.SALES)
CONTRACT_MANAGER_ROLES = (Role.VENDOR_ADMIN, Role.SALES)
CONTRACT_CANCEL_ROLES = (Role.VENDOR_ADMIN, Role.SALES, Role.PARTNER_ADMIN)
CONTRACT_REQUEST_ROLES = (Role.PARTNER_ADMIN,)

# The source's three models (R2.1), net EUR, installed by migration 0002 on first start.
# Extra units cost a quarter of the hourly rate (R4.4, R4.5); S's "first hour" is counted per ticket.
STANDARD_PLANS: list[dict[str, Any]] = [
    {
        "code": "L",
        "name": "Model L",
        "fee_cents": 89_900,
        "term_months": 12,
        "notice_days": 0,
        "included_minutes_per_term": 8 * 60,
        "unit_minutes": 15,
        "rate_scope": pricing.CONTRACT_TERM,
        "rate_tiers": [{"from_unit": 0, "unit_price_cents": 2_225}],
        "minimum_units_per_ticket": 0,
        "first_response_minutes": 240,
        "resolution_minutes": 1_920,
    },
    {
        "code": "M",
        "name": "Model M",
        "fee_cents": 49_900,
        "term_months": 12,
        "notice_days": 0,
        "included_minutes_per_term": 4 * 60,
        "unit_minutes": 15,
        "rate_scope": pricing.CONTRACT_TERM,
        "rate_tiers": [{"from_unit": 0, "unit_price_cents": 2_475}],
        "minimum_units_per_ticket": 0,
        "first_response_minutes": 480,
        "resolution_minutes": 3_840,
    },
    {
        "code": "S",
        "name": "Model S",
        "fee_cents": 0,
        "term_months": None,
        "notice_days": 0,
        "included_minutes_per_term": 0,
        "unit_minutes": 15,
        "rate_scope": pricing.TICKET,
        "rate_tiers": [{"from_unit": 0, "unit_price_cents": 3_725}, {"from_unit": 4, "unit_price_cents": 3_225}],
        "minimum_units_per_ticket": 0,
        "first_response_minutes": 480,
        "resolution_minutes": None,
    },
]
