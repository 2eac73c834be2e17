"""Every read of time entries that depends on who asks, the ledger position a charge starts from,
the next invoice built from the entries, and the ledger invariant.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.contracts import pricing
from partnerdesk.contracts import selectors as contract_selectors
from partnerdesk.contracts.models import Contract, ContractTerm
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to

from .models import TimeEntry, TimeEntryEvent

# --- who sees what ------------------------------------------------------------------------------


def time_entries_visible_to(user: User) -> QuerySet[TimeEntry]:
    """Entries of the tickets the user may see (the vendor: escalated tickets only)."""
    return TimeEntry.objects.filter(ticket__in=tickets_visible_to(user)).select_related("agent", "term")


def time_entry_events_visible_to(user: User, ticket: Ticket) -> QuerySet[TimeEntryEvent]:
    """The history of the time booked on a ticket the user may see (booked, corrected, deleted, flips)."""
    return (
        TimeEntryEvent.objects.filter(ticket__in=tickets_visible_to(user), ticket=ticket)
        .select_related("actor")
        .order_by("at", "pk")
    )


# --- the position a charge starts from (R4.3, R4.5) ---------------------------------------------


def ledger_state(
    *, contract: Contract, term: ContractTerm | None, ticket_id: int, excluding: int | None = None
) -> pricing.LedgerState:
    """Where a new charge of this ticket on this term starts: included units left, the term's and the
    ticket's charged units so far. A term not materialised yet has its full grant. Booking (under the
    locks) and the quote read it here, so the preview and the truth are the same figures. ``excluding``
    leaves out the entry being charged again (its stored split is about to be replaced).
    """
    entries = TimeEntry.objects.filter(ticket_id=ticket_id, contract=contract, billable=True)
    if excluding is not None:
        entries = entries.exclude(pk=excluding)
    totals = entries.aggregate(extra=Sum("extra_units"), charged=Sum("charged_units"))
    return pricing.LedgerState(
        included_units_left=term.included_units_left if term else contract.included_units_per_term,
        term_charged_units=term.charged_units if term else 0,
        ticket_extra_units=totals["extra"] or 0,
        ticket_charged_units=totals["charged"] or 0,
    )


def quote_time_entry(*, contract: Contract, ticket_id: int, started_at: datetime, minutes: int) -> pricing.EntryCharge:
    """What booking this entry now would cost, without booking it (no locks; figures may move)."""
    day = contract_selectors.day_of(started_at)
    index = pricing.term_index_on(contract.start_date, contract.term_months, day)
    term = ContractTerm.objects.filter(contract=contract, index=index).first()
    return pricing.charge_entry(
        contract.schedule, minutes, ledger_state(contract=contract, term=term, ticket_id=ticket_id)
    )


# --- usage and the next invoice (R10.7) ---------------------------------------------------------


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
    current: contract_selectors.TermUsage | None
    terms: list[contract_selectors.TermUsage]
    next_invoice: InvoicePreview


def contract_usage(contract: Contract, *, at: datetime | date | None = None) -> ContractUsage:
    """Included used and left, extra units and amount so far, per term; and the next invoice (R10.7)."""
    day = contract_selectors.day_of(at)
    current, terms = contract_selectors.term_usages(contract, day)
    return ContractUsage(
        contract=contract,
        day=day,
        current=current,
        terms=terms,
        next_invoice=next_invoice_preview(contract, terms=terms, at=day),
    )


def next_invoice_preview(
    contract: Contract, *, terms: list[contract_selectors.TermUsage] | None = None, at: datetime | date | None = None
) -> InvoicePreview:
    """What the next invoice would say for this contract (R10.7): fees of started terms not yet
    invoiced (R3.5), and per ticket its charged units grouped by unit price, with the included
    units listed at 0 for information (R10.1). Uses the prices stored on the entries.
    """
    day = contract_selectors.day_of(at)
    if terms is None:
        terms = contract_selectors.term_usages(contract, day)[1]
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
