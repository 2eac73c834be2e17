"""Pure pricing: 15-minute units, the included-time split, rate tiers, term dates, money (R2-R4).

No Django and no database: the booking service, the billing run and the "what would this cost"
preview all call these functions with plain values, and the tests check them without a database.

Vocabulary
- *unit*: the billing unit (15 minutes by default, a plan value). An entry of n minutes is
  ceil(n / unit) units (R4.2, rounding per entry).
- *included units*: units of a term paid by the term's fee; used in booking order (R4.3).
- *extra units*: units beyond the included ones. They are priced by the rate schedule.
- *charged units*: the extra units that are priced. Equal to the extra units unless the plan's
  "minimum units per ticket" option (R4.5, "first hour is charged in full") tops a ticket up.
- *rate tiers*: ``(from_unit, unit_price_cents)``, ascending from 0. A tier applies from the
  ``from_unit``-th charged unit (0-based) of its scope, which is the contract term (L, M: one tier)
  or the ticket (S: 37.25 for charged units 0-3, then 32.25).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

CONTRACT_TERM: Final = "contract_term"
TICKET: Final = "ticket"
RateScope = Literal["contract_term", "ticket"]
SCOPES: Final = (CONTRACT_TERM, TICKET)

CENT: Final = Decimal("0.01")

# Problems a rate schedule can have; services turn them into translated field errors.
TIERS_EMPTY: Final = "tiers_empty"
TIERS_FIRST_NOT_ZERO: Final = "tiers_first_not_zero"
TIERS_NOT_ASCENDING: Final = "tiers_not_ascending"
TIERS_NEGATIVE_PRICE: Final = "tiers_negative_price"
TIERS_BAD_VALUE: Final = "tiers_bad_value"


# --- money --------------------------------------------------------------------------------------


def money(cents: int) -> Decimal:
    """Integer cents as a Decimal with exactly two places (never float, R4.10)."""
    return (Decimal(cents) / 100).quantize(CENT)


def cents_of(amount: Decimal) -> int:
    """A Decimal amount as integer cents; refuses more than two decimal places instead of rounding."""
    if not amount.is_finite():
        raise ValueError("amount is not a finite number")
    quantized = amount.quantize(CENT)
    if quantized != amount:
        raise ValueError("amount has more than two decimal places")
    return int(quantized * 100)


def round_half_up(amount: Decimal) -> Decimal:
    """Quantise to 0.01 half-up, as on an invoice line (R4.10)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- units --------------------------------------------------------------------------------------


def units_for(minutes: int, unit_minutes: int = 15) -> int:
    """Whole units, rounded up per entry (R4.2): 1-15 minutes is 1 unit, 16-30 is 2, and so on."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise ValueError("minutes must be a positive whole number")
    if unit_minutes <= 0:
        raise ValueError("unit_minutes must be positive")
    return -(-minutes // unit_minutes)


def included_units_per_term(included_minutes: int, unit_minutes: int) -> int:
    """Included minutes as whole units (plans store minutes, the ledger counts units)."""
    if included_minutes < 0 or unit_minutes <= 0 or included_minutes % unit_minutes:
        raise ValueError("included minutes must be a non-negative multiple of the unit")
    return included_minutes // unit_minutes


# --- rate schedules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RateTier:
    from_unit: int
    unit_price_cents: int


def tier_problem(tiers: Sequence[RateTier]) -> str | None:
    """Why a list of tiers cannot price units, or None when it can."""
    if not tiers:
        return TIERS_EMPTY
    for tier in tiers:
        if isinstance(tier.from_unit, bool) or isinstance(tier.unit_price_cents, bool):
            return TIERS_BAD_VALUE
        if not isinstance(tier.from_unit, int) or not isinstance(tier.unit_price_cents, int):
            return TIERS_BAD_VALUE
        if tier.unit_price_cents < 0:
            return TIERS_NEGATIVE_PRICE
    if tiers[0].from_unit != 0:
        return TIERS_FIRST_NOT_ZERO
    if any(b.from_unit <= a.from_unit for a, b in zip(tiers, tiers[1:], strict=False)):
        return TIERS_NOT_ASCENDING
    return None


@dataclass(frozen=True)
class RateSchedule:
    """How extra units are priced: the unit, the tiers and their scope, the per-ticket minimum (R2.1)."""

    scope: RateScope
    tiers: tuple[RateTier, ...]
    unit_minutes: int = 15
    minimum_units_per_ticket: int = 0

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown rate scope {self.scope!r}")
        problem = tier_problem(self.tiers)
        if problem is not None:
            raise ValueError(problem)
        if self.unit_minutes <= 0 or self.minimum_units_per_ticket < 0:
            raise ValueError("unit_minutes must be positive and the minimum non-negative")

    @classmethod
    def from_values(
        cls,
        *,
        scope: str,
        tiers: Iterable[tuple[int, int]],
        unit_minutes: int = 15,
        minimum_units_per_ticket: int = 0,
    ) -> RateSchedule:
        if scope not in SCOPES:
            raise ValueError(f"unknown rate scope {scope!r}")
        return cls(
            scope=CONTRACT_TERM if scope == CONTRACT_TERM else TICKET,
            tiers=tuple(RateTier(from_unit, price) for from_unit, price in tiers),
            unit_minutes=unit_minutes,
            minimum_units_per_ticket=minimum_units_per_ticket,
        )

    def unit_price_at(self, position: int) -> int:
        """The price of the charged unit at a 0-based position within the scope."""
        price = self.tiers[0].unit_price_cents
        for tier in self.tiers:
            if tier.from_unit > position:
                break
            price = tier.unit_price_cents
        return price


@dataclass(frozen=True)
class ChargeLine:
    """Quantity times unit price: the shape of an invoice line (R10.1)."""

    quantity: int
    unit_price_cents: int

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def unit_price(self) -> Decimal:
        return money(self.unit_price_cents)

    @property
    def amount(self) -> Decimal:
        return money(self.amount_cents)


def price_positions(schedule: RateSchedule, first: int, count: int) -> tuple[ChargeLine, ...]:
    """Charged units ``first .. first+count-1`` of a scope, as lines of equal price (segment by tier)."""
    if first < 0 or count < 0:
        raise ValueError("positions must be non-negative")
    lines: list[ChargeLine] = []
    position, end = first, first + count
    tiers = schedule.tiers
    while position < end:
        index = max(i for i, tier in enumerate(tiers) if tier.from_unit <= position)
        tier_end = tiers[index + 1].from_unit if index + 1 < len(tiers) else end
        quantity = min(end, tier_end) - position
        price = tiers[index].unit_price_cents
        if lines and lines[-1].unit_price_cents == price:
            lines[-1] = ChargeLine(lines[-1].quantity + quantity, price)
        else:
            lines.append(ChargeLine(quantity, price))
        position += quantity
    return tuple(lines)


# --- the ledger split ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerState:
    """What is already booked, read under the contract's lock just before an entry is booked."""

    included_units_left: int
    term_charged_units: int = 0  # charged units of the term so far (position for contract_term tiers)
    ticket_extra_units: int = 0  # extra units of the ticket so far on this contract
    ticket_charged_units: int = 0  # charged units of the ticket so far (position for ticket tiers)


@dataclass(frozen=True)
class EntryCharge:
    """The split and price of one billable entry (R4.3-R4.5), stored on the entry at booking."""

    units: int
    included_units: int
    extra_units: int
    charged_units: int
    lines: tuple[ChargeLine, ...]

    @property
    def amount_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def amount(self) -> Decimal:
        return money(self.amount_cents)


def charged_units_for_ticket(extra_units: int, minimum_units_per_ticket: int) -> int:
    """A ticket with any extra units is charged at least the minimum (R4.5 option; 0 = off)."""
    if extra_units <= 0:
        return 0
    return max(extra_units, minimum_units_per_ticket)


def charge_entry(schedule: RateSchedule, minutes: int, state: LedgerState) -> EntryCharge:
    """Round, split at the end of the included time (R4.3), and price the extra units (R4.4, R4.5).

    Included units are taken first; what the entry needs beyond them is extra. Entries booked
    before are never re-priced: the state carries their totals, not their details.
    """
    units = units_for(minutes, schedule.unit_minutes)
    included = min(units, max(state.included_units_left, 0))
    extra = units - included
    ticket_extra_after = state.ticket_extra_units + extra
    charged = max(
        0,
        charged_units_for_ticket(ticket_extra_after, schedule.minimum_units_per_ticket) - state.ticket_charged_units,
    )
    first = state.ticket_charged_units if schedule.scope == TICKET else state.term_charged_units
    return EntryCharge(
        units=units,
        included_units=included,
        extra_units=extra,
        charged_units=charged,
        lines=price_positions(schedule, first, charged),
    )


def charge_sequence(
    schedule: RateSchedule, included_units: int, entries: Iterable[tuple[str, int]]
) -> list[EntryCharge]:
    """Book ``(ticket, minutes)`` entries in order into one fresh term: the "what would it cost" preview."""
    state_left = included_units
    term_charged = 0
    ticket_extra: dict[str, int] = {}
    ticket_charged: dict[str, int] = {}
    charges = []
    for ticket, minutes in entries:
        charge = charge_entry(
            schedule,
            minutes,
            LedgerState(
                included_units_left=state_left,
                term_charged_units=term_charged,
                ticket_extra_units=ticket_extra.get(ticket, 0),
                ticket_charged_units=ticket_charged.get(ticket, 0),
            ),
        )
        state_left -= charge.included_units
        term_charged += charge.charged_units
        ticket_extra[ticket] = ticket_extra.get(ticket, 0) + charge.extra_units
        ticket_charged[ticket] = ticket_charged.get(ticket, 0) + charge.charged_units
        charges.append(charge)
    return charges


def thresholds_reached(granted: int, used_before: int, used_after: int, thresholds: Iterable[int]) -> tuple[int, ...]:
    """The percentages of the included units that this booking reached (R4.9): before < t <= after."""
    if granted <= 0:
        return ()
    return tuple(t for t in sorted(set(thresholds)) if used_before * 100 < t * granted <= used_after * 100)


# --- terms --------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_index_on(start: date, term_months: int | None, day: date) -> int:
    """Which term (0-based) of a contract starting on ``start`` contains ``day``.

    Terms are anchored on the start date (term k starts ``start + k*term_months``), so a contract
    starting on the 31st never drifts. A contract without fixed term (S) has one open term.
    """
    if day < start:
        raise ValueError("day lies before the contract's start")
    if term_months is None:
        return 0
    if term_months <= 0:
        raise ValueError("term_months must be positive")
    index = ((day.year - start.year) * 12 + day.month - start.month) // term_months
    while index > 0 and add_months(start, index * term_months) > day:
        index -= 1
    while add_months(start, (index + 1) * term_months) <= day:
        index += 1
    return index


def term_bounds(start: date, term_months: int | None, index: int) -> tuple[date, date | None]:
    """First and last day (inclusive) of term ``index``; no last day without a fixed term."""
    if term_months is None:
        if index != 0:
            raise ValueError("a contract without fixed term has only term 0")
        return start, None
    first = add_months(start, index * term_months)
    return first, add_months(start, (index + 1) * term_months) - timedelta(days=1)


def cancellation_end_date(*, start: date, term_months: int | None, notice_days: int, cancelled_on: date) -> date | None:
    """The last day a cancelled contract runs (R3.1, R3.4); None when it ends before it starts.

    A fixed-term contract runs to the end of the term in which the notice period is still met,
    otherwise to the end of the following term. Without fixed term it runs ``notice_days`` more days.
    """
    if cancelled_on < start:
        return None
    if term_months is None:
        return cancelled_on + timedelta(days=notice_days)
    index = term_index_on(start, term_months, cancelled_on)
    while True:
        last = add_months(start, (index + 1) * term_months) - timedelta(days=1)
        if cancelled_on <= last - timedelta(days=notice_days):
            return last
        index += 1
