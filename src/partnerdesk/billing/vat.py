"""Pure VAT rules (R2.3, R4.10): which category and rate a partner's lines carry, and the totals.

German partners pay German VAT; a partner in another EU state with a valid VAT ID is invoiced
under the reverse-charge procedure (category AE, 0 %, with the legal note); every other country
takes its rate from the setting (a rate of 0 means outside the scope of German VAT, category O).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

STANDARD: Final = "S"
REVERSE_CHARGE: Final = "AE"
OUTSIDE_SCOPE: Final = "O"

EU_COUNTRIES: Final = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
DEFAULT_KEY: Final = "*"

NOTE_REVERSE_CHARGE: Final = "reverse_charge"
NOTE_OUTSIDE_SCOPE: Final = "outside_scope"


@dataclass(frozen=True)
class Treatment:
    category: str
    rate: Decimal  # percent, e.g. Decimal("19.00")
    note: str | None = None  # which legal note the invoice carries


def treatment_for(
    *, seller_country: str, buyer_country: str, buyer_vat_id_valid: bool, rates: Mapping[str, str | Decimal]
) -> Treatment:
    """The VAT category and rate of every line of an invoice to this buyer."""
    seller_country, buyer_country = seller_country.upper(), buyer_country.upper()
    if buyer_country != seller_country and buyer_country in EU_COUNTRIES and buyer_vat_id_valid:
        return Treatment(REVERSE_CHARGE, Decimal("0.00"), NOTE_REVERSE_CHARGE)
    raw = rates.get(buyer_country, rates.get(DEFAULT_KEY, "19"))
    rate = Decimal(str(raw)).quantize(Decimal("0.01"))
    if rate == 0:
        return Treatment(OUTSIDE_SCOPE, rate, NOTE_OUTSIDE_SCOPE)
    return Treatment(STANDARD, rate)


@dataclass(frozen=True)
class VatSubtotal:
    category: str
    rate: Decimal
    basis_cents: int
    vat_cents: int


def vat_cents(basis_cents: int, rate: Decimal) -> int:
    """VAT on a net sum, half-up to the cent (R4.10); symmetric for negative sums (cancellations)."""
    amount = (Decimal(abs(basis_cents)) * rate / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return int(amount) if basis_cents >= 0 else -int(amount)


def subtotals(lines: Iterable[tuple[str, Decimal, int]]) -> list[VatSubtotal]:
    """VAT per (category, rate) on the sum of its line nets (R4.10); ``lines`` are (category, rate, net cents)."""
    sums: dict[tuple[str, Decimal], int] = {}
    for category, rate, net in lines:
        sums[(category, rate)] = sums.get((category, rate), 0) + net
    return [
        VatSubtotal(category, rate, basis, vat_cents(basis, rate))
        for (category, rate), basis in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]
