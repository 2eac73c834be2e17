"""Every read of plans and contracts that depends on who asks, and the terms' usage figures.

Selectors never write: a term that has not been materialised yet is computed from the contract's
values (and created later by a booking or by ``settle_contracts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from partnerdesk.accounts.models import EndCustomer, User

from . import pricing
from .choices import RUNNING_STATES, ContractState
from .models import Contract, ContractEvent, ContractTerm, Plan


def day_of(at: datetime | date | None) -> date:
    """The local day of a moment (today when empty)."""
    if at is None:
        return timezone.localdate()
    if isinstance(at, datetime):
        return timezone.localdate(at) if timezone.is_aware(at) else at.date()
    return at


# --- who sees what ------------------------------------------------------------------------------


def plans_visible_to(user: User) -> QuerySet[Plan]:
    """The vendor sees every plan; a partner the public ones and its own individual plans (R1.1)."""
    if not user.is_active:
        return Plan.objects.none()
    if user.is_vendor:
        return Plan.objects.all()
    if user.partner_id is None:
        return Plan.objects.none()
    return Plan.objects.filter(Q(partner__isnull=True) | Q(partner_id=user.partner_id))


def contracts_visible_to(user: User) -> QuerySet[Contract]:
    """The vendor sees all contracts (R1.2); a partner only its own (R1.1)."""
    queryset = Contract.objects.select_related("partner", "plan")
    if not user.is_active:
        return queryset.none()
    if user.is_vendor:
        return queryset
    if user.partner_id is None:
        return queryset.none()
    return queryset.filter(partner_id=user.partner_id)


def contract_events(contract: Contract) -> QuerySet[ContractEvent]:
    return contract.events.select_related("actor").order_by("at", "pk")


# --- coverage (R3.3), used at escalation --------------------------------------------------------


def contracts_covering(*, end_customer: EndCustomer, at: datetime | date | None = None) -> QuerySet[Contract]:
    """Running contracts of the end customer's partner that cover it on that day (R3.3)."""
    day = day_of(at)
    return (
        Contract.objects.filter(partner_id=end_customer.partner_id, state__in=RUNNING_STATES, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .filter(Q(covers_all_end_customers=True) | Q(end_customers=end_customer))
        .select_related("plan", "partner")
        .distinct()
        .order_by("start_date", "pk")
    )


def included_units_left_on(contract: Contract, day: date) -> int:
    """Included units left in the term containing ``day`` (the full grant if not materialised yet).

    Reads ``contract.terms`` (prefetch it when asking about several contracts)."""
    if day < contract.start_date:
        return 0
    index = pricing.term_index_on(contract.start_date, contract.term_months, day)
    term = next((t for t in contract.terms.all() if t.index == index), None)
    if term is None:
        return contract.included_units_per_term
    return term.included_units_left


def default_contract_for(*, end_customer: EndCustomer, at: datetime | date | None = None) -> Contract | None:
    """The contract a ticket is charged to unless the partner chooses (R3.3).

    The covering contract with included units left (the one whose term ends first, so nothing
    expires unused); else one without included time (S); else the oldest covering one; None if none.
    """
    day = day_of(at)
    covering = list(contracts_covering(end_customer=end_customer, at=day).prefetch_related("terms"))
    with_time_left = [c for c in covering if c.included_units_per_term and included_units_left_on(c, day) > 0]
    if with_time_left:

        def term_end(contract: Contract) -> date:
            index = pricing.term_index_on(contract.start_date, contract.term_months, day)
            _start, end = pricing.term_bounds(contract.start_date, contract.term_months, index)
            return min(d for d in (end, contract.end_date, date.max) if d is not None)

        return min(with_time_left, key=lambda c: (term_end(c), c.start_date, c.pk))
    without_included = [c for c in covering if not c.included_units_per_term]
    if without_included:
        return without_included[0]
    return covering[0] if covering else None


def contract_covers(*, contract: Contract, end_customer: EndCustomer, at: datetime | date | None = None) -> bool:
    return contracts_covering(end_customer=end_customer, at=at).filter(pk=contract.pk).exists()


# --- usage (R10.7) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermUsage:
    """One term's ledger in units and minutes, and the extra charged so far."""

    index: int
    start_date: date
    end_date: date | None
    unit_minutes: int
    included_units_granted: int
    included_units_used: int
    extra_units: int
    charged_units: int
    extra_amount: Decimal
    fee: Decimal
    currency: str
    materialised: bool

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def included_units_left(self) -> int:
        return self.included_units_granted - self.included_units_used

    @property
    def included_minutes_granted(self) -> int:
        return self.included_units_granted * self.unit_minutes

    @property
    def included_minutes_used(self) -> int:
        return self.included_units_used * self.unit_minutes

    @property
    def included_minutes_left(self) -> int:
        return self.included_units_left * self.unit_minutes

    @property
    def percent_used(self) -> int:
        if not self.included_units_granted:
            return 0
        return self.included_units_used * 100 // self.included_units_granted


def _term_usage(term: ContractTerm) -> TermUsage:
    return TermUsage(
        index=term.index,
        start_date=term.start_date,
        end_date=term.end_date,
        unit_minutes=term.unit_minutes,
        included_units_granted=term.included_units_granted,
        included_units_used=term.included_units_used,
        extra_units=term.extra_units,
        charged_units=term.charged_units,
        extra_amount=term.extra_amount,
        fee=term.fee,
        currency=term.currency,
        materialised=True,
    )


def _virtual_term_usage(contract: Contract, index: int) -> TermUsage:
    start, end = pricing.term_bounds(contract.start_date, contract.term_months, index)
    return TermUsage(
        index=index,
        start_date=start,
        end_date=end,
        unit_minutes=contract.unit_minutes,
        included_units_granted=contract.included_units_per_term,
        included_units_used=0,
        extra_units=0,
        charged_units=0,
        extra_amount=Decimal("0.00"),
        fee=contract.fee,
        currency=contract.currency,
        materialised=False,
    )


def _current_index(contract: Contract, day: date) -> int | None:
    """The index of the term running on ``day`` (the last one, once ended); None before the start."""
    if contract.state == ContractState.DRAFT or day < contract.start_date:
        return None
    if contract.state == ContractState.ENDED and contract.end_date is None:
        return None  # ended before it started
    last_day = day if contract.end_date is None else min(day, contract.end_date)
    return pricing.term_index_on(contract.start_date, contract.term_months, last_day)


def current_term_usage(contract: Contract, at: datetime | date | None = None) -> TermUsage | None:
    """The term running on that day; reads ``contract.terms`` (prefetch it for lists)."""
    index = _current_index(contract, day_of(at))
    if index is None:
        return None
    for term in contract.terms.all():
        if term.index == index:
            return _term_usage(term)
    return _virtual_term_usage(contract, index)


def term_usages(contract: Contract, day: date) -> tuple[TermUsage | None, list[TermUsage]]:
    """The term running on ``day`` and every term up to it (stored ones, and the rest computed)."""
    stored = {t.index: t for t in ContractTerm.objects.filter(contract=contract)}
    terms = [_term_usage(t) for t in stored.values()]
    index = _current_index(contract, day)
    if index is not None:
        terms += [_virtual_term_usage(contract, i) for i in range(index + 1) if i not in stored]
    terms.sort(key=lambda t: t.index)
    current = next(t for t in terms if t.index == index) if index is not None else None
    return current, terms
