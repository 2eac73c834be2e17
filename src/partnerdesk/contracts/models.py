"""Plans, contracts, their terms (the included-time ledger) and their history.

Money is integer cents with an explicit currency; work is integer minutes; billing is integer units
(ARCHITECTURE convention 5). The invariants that belong to one row are database constraints.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from . import pricing
from .choices import ContractEventKind, ContractState, Currency, RateScope

# The values a plan defines and a contract copies (and Sales may override, R2.2).
PLAN_VALUE_FIELDS = (
    "currency",
    "fee_cents",
    "term_months",
    "notice_days",
    "included_minutes_per_term",
    "unit_minutes",
    "rate_scope",
    "rate_tiers",
    "minimum_units_per_ticket",
    "first_response_minutes",
    "resolution_minutes",
)


class PlanValues(models.Model):
    """Every money and time rule of a contract model, as data (R2.1)."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    fee_cents = models.PositiveIntegerField(_("fee per term (cents)"), default=0)
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), null=True, blank=True, help_text=_("Empty: no fixed term, runs until cancelled.")
    )
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=0)
    included_minutes_per_term = models.PositiveIntegerField(_("included minutes per term"), default=0)
    unit_minutes = models.PositiveSmallIntegerField(_("billing unit (minutes)"), default=15)
    rate_scope = models.CharField(_("rate scope"), max_length=20, choices=RateScope.choices)
    # [{"from_unit": 0, "unit_price_cents": 2225}, ...], ascending from 0 (see pricing.py).
    rate_tiers = models.JSONField(_("rate tiers"), default=list)
    minimum_units_per_ticket = models.PositiveSmallIntegerField(
        _("minimum units per ticket"),
        default=0,
        help_text=_("Charge at least this many units per ticket (4 = first hour charged in full); 0 = off."),
    )
    # Service-level targets in support minutes (R6.3); empty = no target.
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (support minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution target (support minutes)"), null=True, blank=True)

    class Meta:
        abstract = True

    def tier_values(self) -> list[tuple[int, int]]:
        return [(int(t["from_unit"]), int(t["unit_price_cents"])) for t in self.rate_tiers]

    @property
    def schedule(self) -> pricing.RateSchedule:
        return pricing.RateSchedule.from_values(
            scope=self.rate_scope,
            tiers=self.tier_values(),
            unit_minutes=self.unit_minutes,
            minimum_units_per_ticket=self.minimum_units_per_ticket,
        )

    @property
    def included_units_per_term(self) -> int:
        return pricing.included_units_per_term(self.included_minutes_per_term, self.unit_minutes)

    @property
    def fee(self) -> Decimal:
        return pricing.money(self.fee_cents)

    @property
    def has_fixed_term(self) -> bool:
        return self.term_months is not None

    def plan_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PLAN_VALUE_FIELDS}


def _plan_value_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(name=f"{prefix}_unit_minutes_positive", condition=Q(unit_minutes__gte=1)),
        models.CheckConstraint(
            name=f"{prefix}_term_months_positive", condition=Q(term_months__isnull=True) | Q(term_months__gte=1)
        ),
        models.CheckConstraint(
            name=f"{prefix}_rate_scope_valid", condition=Q(rate_scope__in=[c.value for c in RateScope])
        ),
    ]


class Plan(PlanValues):
    """A contract model: L, M, S (installed on first start) or an individual plan made by Sales (R2.2).

    A plan with a partner is that partner's individual plan and invisible to every other partner.
    """

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    partner = models.ForeignKey(
        "accounts.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="individual_plans",
        verbose_name=_("only for partner"),
    )
    is_standard = models.BooleanField(_("standard plan"), default=False)
    is_active = models.BooleanField(_("offered"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-is_standard", "code", "pk"]
        constraints = _plan_value_constraints("plan")

    def __str__(self) -> str:
        return self.name


class Contract(PlanValues):
    """One partner bound to one plan from a start date (R3.1).

    The plan's values are copied at creation: a later change of the price list never re-prices a
    running contract, and Sales may override any of them for this one contract (R2.2). Terms are
    anchored on ``start_date``; ``end_date`` (inclusive) is set when the contract is cancelled.
    """

    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("partner")
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("plan"))
    state = models.CharField(_("state"), max_length=20, choices=ContractState.choices, default=ContractState.DRAFT)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("last day"), null=True, blank=True)
    covers_all_end_customers = models.BooleanField(_("covers all end customers"), default=True)
    end_customers = models.ManyToManyField(
        "accounts.EndCustomer", blank=True, related_name="contracts", verbose_name=_("covered end customers")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["partner_id", "-start_date", "-pk"]
        indexes = [models.Index(fields=["partner", "state"], name="contract_partner_state")]
        constraints = [
            *_plan_value_constraints("contract"),
            models.CheckConstraint(
                name="contract_state_valid", condition=Q(state__in=[c.value for c in ContractState])
            ),
            models.CheckConstraint(
                name="contract_end_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.plan.code} · {self.partner.name}"

    @property
    def label(self) -> str:
        return f"#{self.pk} {self.plan.name}"

    def runs_on(self, day: date) -> bool:
        """Whether the contract covers work on this day (active or cancelled, within its dates)."""
        if self.state not in (ContractState.ACTIVE, ContractState.CANCELLED):
            return False
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def state_on(self, day: date) -> str:
        """The state as of a day: a cancelled contract past its last day has ended (settled by command)."""
        if self.state == ContractState.CANCELLED and self.end_date is not None and day > self.end_date:
            return ContractState.ENDED
        return self.state

    def overridden_values(self) -> list[str]:
        """The plan values this contract overrides (R2.2)."""
        return [name for name in PLAN_VALUE_FIELDS if getattr(self, name) != getattr(self.plan, name)]


class ContractTerm(models.Model):
    """One term of a contract and its included-time ledger (R3.2, R4.3, R4.8).

    Booking locks this row (after the contract's) and moves units from *left* to *used* or *extra*.
    Invariants: used <= granted (a database constraint), and used + extra = the units of the term's
    billable entries (checked by ``selectors.ledger_discrepancies``). The fee is recorded when the term
    starts, for the billing run (R3.5). A contract without fixed term has one open term (S).
    """

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="terms")
    index = models.PositiveIntegerField(_("term number"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("last day"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    fee_cents = models.PositiveIntegerField(_("fee (cents)"), default=0)
    unit_minutes = models.PositiveSmallIntegerField(_("billing unit (minutes)"), default=15)
    included_units_granted = models.PositiveIntegerField(_("included units granted"), default=0)
    included_units_used = models.PositiveIntegerField(_("included units used"), default=0)
    extra_units = models.PositiveIntegerField(_("extra units"), default=0)
    charged_units = models.PositiveIntegerField(_("charged extra units"), default=0)
    extra_amount_cents = models.PositiveBigIntegerField(_("extra amount (cents)"), default=0)
    fee_invoiced_at = models.DateTimeField(_("fee invoiced"), null=True, blank=True)
    # How often the invoice of this fee was cancelled with the fee released to be billed again (R10.3).
    fee_billing_round = models.PositiveSmallIntegerField(_("fee billing round"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract term")
        verbose_name_plural = _("contract terms")
        ordering = ["contract_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "index"], name="term_index_per_contract"),
            models.CheckConstraint(
                name="term_included_used_within_granted",
                condition=Q(included_units_used__lte=F("included_units_granted")),
            ),
            models.CheckConstraint(
                name="term_end_after_start", condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.index + 1} {self.start_date}–{self.end_date or ''}"

    @property
    def included_units_left(self) -> int:
        return self.included_units_granted - self.included_units_used

    @property
    def fee(self) -> Decimal:
        return pricing.money(self.fee_cents)

    @property
    def extra_amount(self) -> Decimal:
        return pricing.money(self.extra_amount_cents)


class ContractEvent(models.Model):
    """A change of a contract: who (empty: the system), when, from which state to which, why (R3.4)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("event"), max_length=20, choices=ContractEventKind.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=ContractState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=ContractState.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("contract event")
        verbose_name_plural = _("contract events")
        ordering = ["contract_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.from_state}→{self.to_state}"


class QuotaNotification(models.Model):
    """A term's included time reached a threshold (R4.9); at most one row per term and threshold."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="quota_notifications")
    term = models.ForeignKey(ContractTerm, on_delete=models.CASCADE, related_name="quota_notifications")
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    included_units_used = models.PositiveIntegerField(_("included units used"))
    included_units_granted = models.PositiveIntegerField(_("included units granted"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("quota notification")
        verbose_name_plural = _("quota notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["term", "threshold"], name="quota_notification_once_per_term"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.threshold}%"


class ContractRequest(models.Model):
    """A partner asks Sales for an individual contract (R2.2); also mailed to the sales address."""

    partner = models.ForeignKey("accounts.Partner", on_delete=models.CASCADE, related_name="contract_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract request")
        verbose_name_plural = _("contract requests")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.created_at:%Y-%m-%d}"
