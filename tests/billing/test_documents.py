"""Totals of an invoice document, to the cent (R10.6; EN 16931 BR-CO-10, BR-CO-14, BR-CO-15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from partnerdesk.billing.documents import (
    REVERSE_CHARGE_NOTES,
    DocumentLine,
    cancellation_of,
    legal_notes,
    totals,
)
from tests.billing import samples


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _line(number: int, quantity: str, price: str, category: str = "S", rate: str = "19") -> DocumentLine:
    return DocumentLine(number, f"line {number}", Decimal(quantity), "C62", Decimal(price), category, Decimal(rate))


@pytest.mark.parametrize(
    ("quantity", "price", "net"),
    [
        ("0.5", "0.25", "0.13"),
        ("1", "0.125", "0.13"),
        ("3", "0.335", "1.01"),
        ("-0.5", "0.25", "-0.13"),
        ("7", "37.25", "260.75"),
    ],
)
def test_r10_6_line_net_is_rounded_half_up_to_the_cent(quantity, price, net):
    assert _line(1, quantity, price).net_amount == Decimal(net)


def test_r10_6_vat_is_computed_per_rate_on_the_sum_of_line_nets():
    # Given lines whose VAT rounded per line would differ from VAT on the sum (3 x 0.13 x 19 %).
    lines = (
        _line(1, "1", "0.125"),
        _line(2, "1", "0.125"),
        _line(3, "1", "0.125"),
        _line(4, "2", "10.005", rate="7"),
        _line(5, "1", "99.99", category="AE", rate="0"),
    )
    doc = samples.german_invoice(lines=lines)
    # The expected figures, computed here independently of the module.
    nets = [_half_up(Decimal(q) * Decimal(p)) for q, p in [("1", "0.125")] * 3 + [("2", "10.005"), ("1", "99.99")]]
    assert nets == [Decimal("0.13")] * 3 + [Decimal("20.01"), Decimal("99.99")]
    vat_19 = _half_up(Decimal("0.39") * Decimal("0.19"))  # 0.0741 -> 0.07; per line it would be 3 x 0.02
    vat_7 = _half_up(Decimal("20.01") * Decimal("0.07"))  # 1.4007 -> 1.40

    result = totals(doc)

    assert [(b.category, b.rate, b.basis, b.vat) for b in result.breakdown] == [
        ("AE", Decimal("0"), Decimal("99.99"), Decimal("0.00")),
        ("S", Decimal("7"), Decimal("20.01"), vat_7),
        ("S", Decimal("19"), Decimal("0.39"), vat_19),
    ]
    assert vat_19 == Decimal("0.07")
    assert result.line_total == sum(nets) == Decimal("120.39")  # BR-CO-10
    assert result.tax_basis_total == result.line_total
    assert result.vat_total == vat_19 + vat_7 == Decimal("1.47")  # BR-CO-14
    assert result.grand_total == Decimal("121.86")  # BR-CO-15
    assert result.due_payable == result.grand_total


def test_r10_6_german_partner_invoice_totals():
    result = totals(samples.german_invoice())
    # 490.00 + 3 x 37.25 + 0.5 x 0.25 (0.125 -> 0.13) + 0 = 601.88; 19 % = 114.3572 -> 114.36
    assert result.line_total == Decimal("601.88")
    assert result.vat_total == Decimal("114.36")
    assert result.grand_total == Decimal("716.24")


def test_r10_6_reverse_charge_carries_the_exemption_reason_and_the_legal_note():
    english = samples.reverse_charge_invoice()
    german = replace(english, language="de")

    assert [(b.category, b.vat, b.exemption_reason, b.exemption_code) for b in totals(english).breakdown] == [
        ("AE", Decimal("0.00"), "Reverse charge", "VATEX-EU-AE")
    ]
    assert totals(german).breakdown[0].exemption_reason == "Steuerschuldnerschaft des Leistungsempfängers"
    assert legal_notes(english)[-1] == REVERSE_CHARGE_NOTES["en"]
    assert legal_notes(german)[-1] == REVERSE_CHARGE_NOTES["de"]
    assert legal_notes(samples.german_invoice()) == ()


def test_r10_3_cancellation_384_negates_lines_and_refers_to_the_original():
    original = samples.german_invoice()
    storno = cancellation_of(original, number="RE-2026-0009", issue_date=date(2026, 12, 5))

    assert (storno.number, storno.type_code) == ("RE-2026-0009", 384)
    assert (storno.preceding_number, storno.preceding_issue_date) == (original.number, original.issue_date)
    assert [line.quantity for line in storno.lines] == [-line.quantity for line in original.lines]
    assert all(line.unit_price >= 0 for line in storno.lines)  # BR-27
    assert totals(storno).grand_total == -totals(original).grand_total
    assert storno.seller == original.seller and storno.buyer == original.buyer


def test_r10_3_cancellation_as_381_credit_note_keeps_positive_amounts():
    original = samples.german_invoice()
    credit = cancellation_of(original, number="GS-2026-0001", issue_date=date(2026, 12, 5), type_code=381)

    assert credit.type_code == 381
    assert credit.preceding_number == original.number
    assert totals(credit).grand_total == totals(original).grand_total


def test_r10_3_cancellation_is_not_a_plain_invoice():
    with pytest.raises(ValueError):
        cancellation_of(samples.german_invoice(), number="X", issue_date=date(2026, 12, 5), type_code=380)
