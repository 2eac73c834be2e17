"""The pure line builder, VAT rules and periods (R10.1, R2.3, R4.10): no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partnerdesk.billing import lines, vat
from partnerdesk.billing.periods import parse_period

RATES = {"DE": "19", "CH": "0", "*": "19"}


def test_r10_1_fees_then_per_ticket_included_at_zero_then_extra_by_price():
    fee = lines.TermFee(1, 7, 0, "L", date(2026, 11, 1), date(2027, 10, 31), 89900)
    entries = [
        lines.PricedEntry(11, 1, 5, date(2026, 11, 3), 2, ((2, 2225),)),
        lines.PricedEntry(10, 1, 4, date(2026, 11, 2), 30, ()),
        lines.PricedEntry(12, 1, 5, date(2026, 11, 9), 0, ((2, 2225),)),
    ]
    built = lines.build_lines([fee], entries)
    assert [(x.kind, x.ticket_id, x.quantity, x.unit_price_cents, x.net_cents) for x in built] == [
        ("fee", None, 1, 89900, 89900),
        ("included", 4, 30, 0, 0),
        ("included", 5, 2, 0, 0),
        ("extra", 5, 4, 2225, 8900),
    ]
    assert built[3].service_start == date(2026, 11, 3) and built[3].service_end == date(2026, 11, 9)
    assert built[3].entry_ids == (11, 12)


def test_r4_5_s_tiers_become_two_lines_highest_price_first():
    entries = [lines.PricedEntry(1, 2, 9, date(2026, 11, 3), 0, ((4, 3725), (3, 3225)))]
    built = lines.build_lines([], entries)
    assert [(x.quantity, x.unit_price, x.net) for x in built] == [
        (4, Decimal("37.25"), Decimal("149.00")),
        (3, Decimal("32.25"), Decimal("96.75")),
    ]


def test_r2_3_german_partner_pays_19_percent():
    t = vat.treatment_for(seller_country="DE", buyer_country="DE", buyer_vat_id_valid=True, rates=RATES)
    assert (t.category, t.rate, t.note) == ("S", Decimal("19.00"), None)


def test_r2_3_eu_partner_with_valid_vat_id_is_reverse_charge():
    t = vat.treatment_for(seller_country="DE", buyer_country="AT", buyer_vat_id_valid=True, rates=RATES)
    assert (t.category, t.rate, t.note) == ("AE", Decimal("0.00"), vat.NOTE_REVERSE_CHARGE)


def test_r2_3_eu_partner_without_valid_vat_id_and_other_countries_follow_the_setting():
    t = vat.treatment_for(seller_country="DE", buyer_country="AT", buyer_vat_id_valid=False, rates=RATES)
    assert (t.category, t.rate) == ("S", Decimal("19.00"))
    t = vat.treatment_for(seller_country="DE", buyer_country="CH", buyer_vat_id_valid=False, rates=RATES)
    assert (t.category, t.rate, t.note) == ("O", Decimal("0.00"), vat.NOTE_OUTSIDE_SCOPE)


def test_r4_10_vat_per_rate_on_the_sum_of_line_nets_half_up():
    # 3 lines of 0.05: per line 19 % would be 0.0095 -> 0.01 each (0.03); on the sum 0.15 -> 0.0285 -> 0.03.
    # 52375 cents at 19 % = 9951.25 -> 9951; 5 cents at 19 % = 0.95 -> 1 (half-up).
    assert vat.subtotals([("S", Decimal("19.00"), 52375)])[0].vat_cents == 9951
    assert vat.subtotals([("S", Decimal("19.00"), 2), ("S", Decimal("19.00"), 3)])[0].vat_cents == 1
    assert vat.vat_cents(-52375, Decimal("19.00")) == -9951


def test_r10_1_period_is_a_month():
    period = parse_period("2026-02")
    assert period is not None and (period.start, period.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("2026-13") is None and parse_period("26-01") is None and parse_period(None) is None
