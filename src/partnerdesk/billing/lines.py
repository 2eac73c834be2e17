"""Pure invoice-line builder (R10.1, R10.7): term fees and priced time entries become invoice lines.

No Django and no database. The billing run and the partner's "next invoice" preview both call
``build_lines`` with plain values, so what a partner is shown is what the invoice will say
(ARCHITECTURE convention 18). Descriptions come in as format strings (the caller translates them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final, Literal

FEE: Final = "fee"
INCLUDED: Final = "included"
EXTRA: Final = "extra"
LineKind = Literal["fee", "included", "extra"]

UNIT_PIECE: Final = "C62"  # UN/ECE rec. 20: "one" (a term's fee)
UNIT_QUARTER_HOUR: Final = "C62"  # billed as counted 15-minute units


@dataclass(frozen=True)
class TermFee:
    """A term's fee, due when the term starts (R3.5)."""

    contract_id: int
    term_id: int | None  # None: the term is not materialised yet (preview only)
    term_index: int
    plan_name: str
    start_date: date
    end_date: date | None
    fee_cents: int


@dataclass(frozen=True)
class PricedEntry:
    """A booked time entry as priced at booking: included units and its charge lines."""

    entry_id: int
    contract_id: int
    ticket_id: int
    work_day: date
    included_units: int
    charge_lines: tuple[tuple[int, int], ...]  # (quantity, unit price in cents)


@dataclass(frozen=True)
class Labels:
    """Translated format strings for the descriptions."""

    fee: str = "%(plan)s, term %(start)s to %(end)s"
    included: str = "Ticket #%(ticket)s, included time"
    extra: str = "Ticket #%(ticket)s"


@dataclass(frozen=True)
class BuiltLine:
    """One invoice line: quantity times unit price, with its service period and what it bills."""

    kind: LineKind
    description: str
    quantity: int
    unit_price_cents: int
    unit_code: str
    service_start: date
    service_end: date | None
    contract_id: int
    ticket_id: int | None = None
    term_id: int | None = None
    term_index: int | None = None
    entry_ids: tuple[int, ...] = field(default=())

    @property
    def net_cents(self) -> int:
        # Integer quantity times integer cents: exact, so "half-up to the cent" never has to round here.
        return self.quantity * self.unit_price_cents

    @property
    def unit_price(self) -> Decimal:
        return (Decimal(self.unit_price_cents) / 100).quantize(Decimal("0.01"))

    @property
    def net(self) -> Decimal:
        return (Decimal(self.net_cents) / 100).quantize(Decimal("0.01"))


def build_lines(
    fees: Iterable[TermFee], entries: Iterable[PricedEntry], labels: Labels | None = None
) -> list[BuiltLine]:
    """The lines of one invoice, per contract in id order: its term fees (by term), then per ticket
    (ascending) its included use at 0 for information and its charged units grouped by unit price
    (highest first, the order of the rate tiers), each with the first and last day of its work.
    """
    labels = labels or Labels()
    fees_by_contract: dict[int, list[TermFee]] = {}
    for fee in fees:
        fees_by_contract.setdefault(fee.contract_id, []).append(fee)
    entries_by_contract: dict[int, list[PricedEntry]] = {}
    for entry in entries:
        entries_by_contract.setdefault(entry.contract_id, []).append(entry)
    lines: list[BuiltLine] = []
    for contract_id in sorted(set(fees_by_contract) | set(entries_by_contract)):
        for fee in sorted(fees_by_contract.get(contract_id, []), key=lambda f: f.term_index):
            if fee.fee_cents <= 0:
                continue
            description = labels.fee % {
                "plan": fee.plan_name,
                "start": fee.start_date.isoformat(),
                "end": fee.end_date.isoformat() if fee.end_date else "",
            }
            lines.append(
                BuiltLine(
                    kind=FEE,
                    description=description,
                    quantity=1,
                    unit_price_cents=fee.fee_cents,
                    unit_code=UNIT_PIECE,
                    service_start=fee.start_date,
                    service_end=fee.end_date,
                    contract_id=contract_id,
                    term_id=fee.term_id,
                    term_index=fee.term_index,
                )
            )
        lines += _ticket_lines(contract_id, entries_by_contract.get(contract_id, []), labels)
    return lines


def _ticket_lines(contract_id: int, entries: list[PricedEntry], labels: Labels) -> list[BuiltLine]:
    by_ticket: dict[int, list[PricedEntry]] = {}
    for entry in entries:
        by_ticket.setdefault(entry.ticket_id, []).append(entry)
    lines: list[BuiltLine] = []
    for ticket_id in sorted(by_ticket):
        ticket_entries = sorted(by_ticket[ticket_id], key=lambda e: (e.work_day, e.entry_id))
        included = [e for e in ticket_entries if e.included_units > 0]
        if included:
            lines.append(
                BuiltLine(
                    kind=INCLUDED,
                    description=labels.included % {"ticket": ticket_id},
                    quantity=sum(e.included_units for e in included),
                    unit_price_cents=0,
                    unit_code=UNIT_QUARTER_HOUR,
                    service_start=included[0].work_day,
                    service_end=included[-1].work_day,
                    contract_id=contract_id,
                    ticket_id=ticket_id,
                    entry_ids=tuple(e.entry_id for e in included),
                )
            )
        by_price: dict[int, list[tuple[PricedEntry, int]]] = {}
        for entry in ticket_entries:
            for quantity, price in entry.charge_lines:
                if quantity > 0:
                    by_price.setdefault(price, []).append((entry, quantity))
        for price in sorted(by_price, reverse=True):
            group = by_price[price]
            ids = tuple(dict.fromkeys(e.entry_id for e, _q in group))
            lines.append(
                BuiltLine(
                    kind=EXTRA,
                    description=labels.extra % {"ticket": ticket_id},
                    quantity=sum(q for _e, q in group),
                    unit_price_cents=price,
                    unit_code=UNIT_QUARTER_HOUR,
                    service_start=min(e.work_day for e, _q in group),
                    service_end=max(e.work_day for e, _q in group),
                    contract_id=contract_id,
                    ticket_id=ticket_id,
                    entry_ids=ids,
                )
            )
    return lines
