"""Every read of plans, contracts and time entries that depends on who asks, plus the usage figures.

Selectors never write: a term that has not been materialised yet is computed from the contract's
values (and created later by a booking or by ``settle_contracts``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import EndCustomer, User
from partnerdesk.tickets.selectors import tickets_visible_to

from . import pricing
from .choices import RUNNING_STATES, ContractState
from .models import Contract, ContractEvent, ContractTerm, Plan, TimeEntry


def _day(at: datetime | date | None) -> date:
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


def time_entries_visible_to(user: User) -> QuerySet[TimeEntry]:
    """Entries of the tickets the user may see (the vendor: escalated tickets only)."""
    return TimeEntry.objects.filter(ticket__in=tickets_visible_to(user)).select_related("agent")


def contract_events(contract: Contract) -> QuerySet[ContractEvent]:
    return contract.events.select_related("actor").order_by("at", "pk")


# --- coverage (R3.3), used at escalation --------------------------------------------------------


def contracts_covering(*, end_customer: EndCustomer, at: datetime | date | None = None) -> QuerySet[Contract]:
    """Running contracts of the end customer's partner that cover it on that day (R3.3)."""
    day = _day(at)
    return (
        Contract.objects.filter(partner_id=end_customer.partner_id, state__in=RUNNING_STATES, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .filter(Q(covers_all_end_customers=True) | Q(end_customers=end_customer))
        .select_related("plan", "partner")
        .distinct()
        .order_by("start_date", "pk")
    )


def included_units_left_on(contract: Contract, day: date) -> int:
    """Included units left in the term containing ``day`` (the full grant if not materialised yet)."""
    if day < contract.start_date:
        return 0
    index = pricing.term_index_on(contract.start_date, contract.term_months, day)
    term = ContractTerm.objects.filter(contract=contract, index=index).first()
    if term is None:
        return contract.included_units_per_term
    return term.included_units_left


def default_contract_for(*, end_customer: EndCustomer, at: datetime | date | None = None) -> Contract | None:
    """The contract a ticket is charged to unless the partner chooses (R3.3).

    The covering contract with included units left (the one whose term ends first, so nothing
    expires unused); else one without included time (S); else the oldest covering one; None if none.
    """
    day = _day(at)
    covering = list(contracts_covering(end_customer=end_customer, at=day))
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


@dataclass(frozen=True)
class PreviewLine:
    """A line the next invoice would carry (R10.1, R10.7)."""

    description: str
    ticket_id: int | None
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass
class InvoicePreview:
    currency: str
    lines: list[PreviewLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass
class ContractUsage:
    contract: Contract
    day: date
    current: TermUsage | None
    terms: list[TermUsage]
    next_invoice: InvoicePreview


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
    index = _current_index(contract, _day(at))
    if index is None:
        return None
    for term in contract.terms.all():
        if term.index == index:
            return _term_usage(term)
    return _virtual_term_usage(contract, index)


def contract_usage(contract: Contract, *, at: datetime | date | None = None) -> ContractUsage:
    """Included used and left, extra units and amount so far, per term; and the next invoice (R10.7)."""
    day = _day(at)
    stored = {t.index: t for t in ContractTerm.objects.filter(contract=contract)}
    terms = [_term_usage(t) for t in stored.values()]
    current = None
    index = _current_index(contract, day)
    if index is not None:
        terms += [_virtual_term_usage(contract, i) for i in range(index + 1) if i not in stored]
    terms.sort(key=lambda t: t.index)
    if index is not None:
        current = next(t for t in terms if t.index == index)
    return ContractUsage(
        contract=contract,
        day=day,
        current=current,
        terms=terms,
        next_invoice=next_invoice_preview(contract, terms=terms, at=day),
    )


def next_invoice_preview(
    contract: Contract, *, terms: list[TermUsage] | None = None, at: datetime | date | None = None
) -> InvoicePreview:
    """What the next invoice would say for this contract (R10.7): fees of started terms not yet
    invoiced (R3.5), and per ticket its charged units grouped by unit price, with the included
    units listed at 0 for information (R10.1). Uses the prices stored on the entries.
    """
    day = _day(at)
    if terms is None:
        terms = contract_usage(contract, at=day).terms
    invoiced_fees = set(
        ContractTerm.objects.filter(contract=contract, fee_invoiced_at__isnull=False).values_list("index", flat=True)
    )
    preview = InvoicePreview(currency=contract.currency)
    for term in terms:
        if term.index in invoiced_fees or term.start_date > day or not term.fee:
            continue
        description = _("%(plan)s, term %(start)s to %(end)s") % {
            "plan": contract.plan.name,
            "start": term.start_date.isoformat(),
            "end": term.end_date.isoformat() if term.end_date else "",
        }
        preview.lines.append(PreviewLine(description, None, 1, term.fee, term.fee))
    per_ticket: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    included: dict[int, int] = defaultdict(int)
    entries = TimeEntry.objects.filter(contract=contract, billable=True, invoiced_at__isnull=True).values_list(
        "ticket_id", "included_units", "charge_lines"
    )
    for ticket_id, included_units, lines in entries.iterator():
        included[ticket_id] += included_units
        for line in lines:
            per_ticket[ticket_id][int(line["unit_price_cents"])] += int(line["quantity"])
    for ticket_id in sorted(set(per_ticket) | set(included)):
        if included[ticket_id]:
            description = _("Ticket #%(ticket)s, included time") % {"ticket": ticket_id}
            zero = Decimal("0.00")
            preview.lines.append(PreviewLine(description, ticket_id, included[ticket_id], zero, zero))
        for price_cents, quantity in sorted(per_ticket[ticket_id].items(), reverse=True):
            line = pricing.ChargeLine(quantity, price_cents)
            description = _("Ticket #%(ticket)s") % {"ticket": ticket_id}
            preview.lines.append(PreviewLine(description, ticket_id, quantity, line.unit_price, line.amount))
    return preview


def quote_time_entry(*, contract: Contract, ticket_id: int, started_at: datetime, minutes: int) -> pricing.EntryCharge:
    """What booking this entry now would cost, without booking it (no locks; figures may move)."""
    day = _day(started_at)
    index = pricing.term_index_on(contract.start_date, contract.term_months, day)
    term = ContractTerm.objects.filter(contract=contract, index=index).first()
    left = term.included_units_left if term else contract.included_units_per_term
    ticket_totals = TimeEntry.objects.filter(ticket_id=ticket_id, contract=contract, billable=True).aggregate(
        extra=Sum("extra_units"), charged=Sum("charged_units")
    )
    return pricing.charge_entry(
        contract.schedule,
        minutes,
        pricing.LedgerState(
            included_units_left=left,
            term_charged_units=term.charged_units if term else 0,
            ticket_extra_units=ticket_totals["extra"] or 0,
            ticket_charged_units=ticket_totals["charged"] or 0,
        ),
    )


# --- the ledger invariant (R4.8) ----------------------------------------------------------------


def ledger_discrepancies(contract: Contract) -> list[str]:
    """Every way the contract's ledger breaks R4.8; an empty list when it holds.

    Per term: used <= granted, and used, extra, charged units and the amount equal the sums over
    the term's billable entries.
    """
    names = ("units", "included_units", "extra_units", "charged_units", "amount_cents")
    sums: dict[int, dict[str, int]] = {}
    rows = (
        TimeEntry.objects.filter(contract=contract, billable=True)
        .values("term_id")
        .annotate(**{f"sum_{name}": Sum(name) for name in names})
    )
    for row in rows:
        values: dict[str, Any] = dict(row)
        sums[values["term_id"]] = {name: values[f"sum_{name}"] or 0 for name in names}
    problems = []
    for term in ContractTerm.objects.filter(contract=contract):
        total = sums.get(term.pk, dict.fromkeys(names, 0))
        checks = [
            ("used <= granted", term.included_units_used <= term.included_units_granted),
            ("used + extra = units", term.included_units_used + term.extra_units == total["units"]),
            ("used = included of entries", term.included_units_used == total["included_units"]),
            ("extra = extra of entries", term.extra_units == total["extra_units"]),
            ("charged = charged of entries", term.charged_units == total["charged_units"]),
            ("amount = amount of entries", term.extra_amount_cents == total["amount_cents"]),
        ]
        problems += [f"term {term.index + 1}: {name}" for name, ok in checks if not ok]
    return problems
