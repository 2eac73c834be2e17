"""Every read of time entries that depends on who asks, the ledger position a charge starts from,
and the ledger invariant. (The next invoice is billing's: ``billing.selectors.next_invoice_preview``.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet, Sum

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
