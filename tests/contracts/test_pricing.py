"""The pure pricing module, without a database: units, the split, rates, terms, money (R2-R4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerdesk.contracts import pricing
from partnerdesk.contracts.choices import STANDARD_PLANS
from partnerdesk.contracts.pricing import LedgerState, RateSchedule, charge_entry


def schedule_of(code: str, **changes: object) -> RateSchedule:
    values = {**next(p for p in STANDARD_PLANS if p["code"] == code), **changes}
    return RateSchedule.from_values(
        scope=values["rate_scope"],
        tiers=[(t["from_unit"], t["unit_price_cents"]) for t in values["rate_tiers"]],
        unit_minutes=values["unit_minutes"],
        minimum_units_per_ticket=values["minimum_units_per_ticket"],
    )


L, M, S = schedule_of("L"), schedule_of("M"), schedule_of("S")


# --- R4.2 rounding ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "units"), [(1, 1), (14, 1), (15, 1), (16, 2), (30, 2), (31, 3), (45, 3), (46, 4), (60, 4), (1440, 96)]
)
def test_r4_2_each_entry_is_rounded_up_to_whole_15_minute_units(minutes, units):
    assert pricing.units_for(minutes) == units


@pytest.mark.parametrize("minutes", [0, -1, -15, True, 1.5, "15", None])
def test_r4_2_units_refuse_non_positive_or_non_integer_minutes(minutes):
    with pytest.raises(ValueError):
        pricing.units_for(minutes)  # type: ignore[arg-type]


def test_r4_2_rounding_is_per_entry_not_per_sum():
    # Three 5-minute entries are three units, not one.
    charges = pricing.charge_sequence(L, 0, [("t", 5), ("t", 5), ("t", 5)])
    assert sum(c.units for c in charges) == 3


# --- R2.1 the standard plans are data ------------------------------------------------------------


def test_r2_1_standard_plans_carry_the_sources_values():
    plans = {p["code"]: p for p in STANDARD_PLANS}
    assert (plans["L"]["fee_cents"], plans["L"]["term_months"], plans["L"]["included_minutes_per_term"]) == (
        89_900,
        12,
        480,
    )
    assert (plans["M"]["fee_cents"], plans["M"]["term_months"], plans["M"]["included_minutes_per_term"]) == (
        49_900,
        12,
        240,
    )
    assert (plans["S"]["fee_cents"], plans["S"]["term_months"], plans["S"]["included_minutes_per_term"]) == (
        0,
        None,
        0,
    )
    # Hourly rates of the source, as four units each.
    assert pricing.money(4 * L.unit_price_at(0)) == Decimal("89.00")
    assert pricing.money(4 * M.unit_price_at(0)) == Decimal("99.00")
    assert pricing.money(4 * S.unit_price_at(0)) == Decimal("149.00")
    assert pricing.money(4 * S.unit_price_at(4)) == Decimal("129.00")


@pytest.mark.parametrize(
    ("tiers", "problem"),
    [
        ([], pricing.TIERS_EMPTY),
        ([(1, 100)], pricing.TIERS_FIRST_NOT_ZERO),
        ([(0, 100), (4, 90), (4, 80)], pricing.TIERS_NOT_ASCENDING),
        ([(0, 100), (2, -1)], pricing.TIERS_NEGATIVE_PRICE),
    ],
)
def test_r2_1_a_rate_schedule_that_cannot_price_every_unit_is_refused(tiers, problem):
    assert pricing.tier_problem([pricing.RateTier(*t) for t in tiers]) == problem
    with pytest.raises(ValueError):
        RateSchedule.from_values(scope="ticket", tiers=tiers)


def test_r2_1_included_minutes_must_be_whole_units():
    assert pricing.included_units_per_term(480, 15) == 32
    with pytest.raises(ValueError):
        pricing.included_units_per_term(481, 15)


# --- R4.3 the split, R4.4 L and M -----------------------------------------------------------------


def test_r4_3_l_contract_with_31_of_32_units_used_splits_a_20_minute_entry():
    charge = charge_entry(L, 20, LedgerState(included_units_left=1))
    assert (charge.units, charge.included_units, charge.extra_units) == (2, 1, 1)
    assert charge.amount == Decimal("22.25")
    assert [(line.quantity, line.unit_price) for line in charge.lines] == [(1, Decimal("22.25"))]


def test_r4_3_entry_inside_the_included_time_costs_nothing():
    charge = charge_entry(L, 60, LedgerState(included_units_left=32))
    assert (charge.included_units, charge.extra_units, charge.amount) == (4, 0, Decimal("0.00"))


def test_r4_3_included_units_are_used_in_booking_order():
    charges = pricing.charge_sequence(L, 32, [("a", 450), ("b", 40), ("c", 10)])  # 30 + 3 + 1 units
    assert [(c.included_units, c.extra_units) for c in charges] == [(30, 0), (2, 1), (0, 1)]


def test_r4_4_extra_unit_of_l_costs_a_quarter_of_89():
    assert charge_entry(L, 15, LedgerState(included_units_left=0)).amount == Decimal("22.25")


def test_r4_4_extra_unit_of_m_costs_a_quarter_of_99():
    assert charge_entry(M, 15, LedgerState(included_units_left=0)).amount == Decimal("24.75")


# --- R4.5 S ---------------------------------------------------------------------------------------


def test_r4_5_s_ticket_with_70_minutes_costs_4_x_37_25_plus_1_x_32_25():
    charge = charge_entry(S, 70, LedgerState(included_units_left=0))
    assert [(line.quantity, line.unit_price) for line in charge.lines] == [
        (4, Decimal("37.25")),
        (1, Decimal("32.25")),
    ]
    assert charge.amount == Decimal("181.25")


def test_r4_5_s_first_hour_is_counted_per_ticket():
    charges = pricing.charge_sequence(S, 0, [("t1", 45), ("t2", 45), ("t1", 45)])
    assert [c.amount for c in charges] == [
        Decimal("111.75"),  # t1: 3 x 37.25
        Decimal("111.75"),  # t2: its own first hour
        Decimal("101.75"),  # t1: 1 x 37.25 + 2 x 32.25
    ]


def test_r4_5_first_hour_charged_in_full_option_is_off_by_default():
    assert S.minimum_units_per_ticket == 0
    assert charge_entry(S, 10, LedgerState(included_units_left=0)).amount == Decimal("37.25")


def test_r4_5_first_hour_charged_in_full_option_charges_four_units_once_per_ticket():
    full = schedule_of("S", minimum_units_per_ticket=4)
    charges = pricing.charge_sequence(full, 0, [("t", 10), ("t", 20), ("t", 30), ("u", 70)])
    assert [(c.units, c.charged_units, c.amount) for c in charges] == [
        (1, 4, Decimal("149.00")),  # the first hour, in full
        (2, 0, Decimal("0.00")),  # still inside the paid hour
        (2, 1, Decimal("32.25")),  # 5 units worked: one beyond the hour
        (5, 5, Decimal("181.25")),  # more than an hour: the minimum changes nothing
    ]


# --- R4.9 thresholds ---------------------------------------------------------------------------------


def test_r4_9_thresholds_are_reached_once_when_crossed():
    assert pricing.thresholds_reached(32, 23, 24, (75, 100)) == (75,)  # 24/32 = 75 %
    assert pricing.thresholds_reached(32, 24, 31, (75, 100)) == ()
    assert pricing.thresholds_reached(32, 20, 32, (75, 100)) == (75, 100)
    assert pricing.thresholds_reached(0, 0, 0, (75, 100)) == ()  # S: nothing included, nothing to tell


# --- R4.10 money ----------------------------------------------------------------------------------------


def test_r4_10_money_is_decimal_with_two_places_never_float():
    assert pricing.money(2225) == Decimal("22.25")
    assert str(pricing.money(89_900)) == "899.00"
    assert isinstance(charge_entry(L, 15, LedgerState(0)).amount, Decimal)
    assert pricing.cents_of(Decimal("22.25")) == 2225
    with pytest.raises(ValueError):
        pricing.cents_of(Decimal("22.255"))
    with pytest.raises(ValueError):
        pricing.cents_of(Decimal("NaN"))


def test_r4_10_invoice_lines_round_half_up():
    assert pricing.round_half_up(Decimal("0.005")) == Decimal("0.01")
    assert pricing.round_half_up(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67


# --- R3.1 terms, renewal, cancellation --------------------------------------------------------------


def test_r3_1_terms_are_anchored_on_the_start_and_never_drift():
    start = date(2024, 1, 31)
    assert pricing.add_months(start, 1) == date(2024, 2, 29)
    assert pricing.term_bounds(start, 12, 0) == (date(2024, 1, 31), date(2025, 1, 30))
    assert pricing.term_bounds(start, 12, 1) == (date(2025, 1, 31), date(2026, 1, 30))
    assert pricing.term_index_on(start, 12, date(2025, 1, 30)) == 0
    assert pricing.term_index_on(start, 12, date(2025, 1, 31)) == 1
    assert pricing.term_index_on(start, None, date(2099, 1, 1)) == 0
    assert pricing.term_bounds(start, None, 0) == (start, None)


def test_r3_1_cancelled_contract_runs_to_the_end_of_its_term():
    end = pricing.cancellation_end_date(
        start=date(2025, 1, 1), term_months=12, notice_days=0, cancelled_on=date(2025, 12, 31)
    )
    assert end == date(2025, 12, 31)


def test_r3_1_cancelling_after_the_notice_period_renews_once_more():
    kwargs = {"start": date(2025, 1, 1), "term_months": 12, "notice_days": 90}
    assert pricing.cancellation_end_date(**kwargs, cancelled_on=date(2025, 10, 2)) == date(2025, 12, 31)
    assert pricing.cancellation_end_date(**kwargs, cancelled_on=date(2025, 10, 3)) == date(2026, 12, 31)


def test_r3_1_s_runs_until_cancelled_and_a_contract_cancelled_before_its_start_never_runs():
    assert pricing.cancellation_end_date(
        start=date(2025, 1, 1), term_months=None, notice_days=0, cancelled_on=date(2025, 6, 3)
    ) == date(2025, 6, 3)
    assert (
        pricing.cancellation_end_date(
            start=date(2025, 1, 1), term_months=12, notice_days=0, cancelled_on=date(2024, 12, 1)
        )
        is None
    )


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    months=st.sampled_from([1, 3, 6, 12, 24]),
    offset=st.integers(min_value=0, max_value=3000),
)
def test_r3_1_every_day_lies_in_exactly_the_term_its_index_names(start, months, offset):
    day = date.fromordinal(start.toordinal() + offset)
    index = pricing.term_index_on(start, months, day)
    first, last = pricing.term_bounds(start, months, index)
    assert first <= day <= last


# --- R4.8 the ledger, for random sequences ------------------------------------------------------------


def reference_charges(
    *, included: int, tiers: list[tuple[int, int]], scope: str, minimum: int, entries: list[tuple[str, int]]
) -> tuple[int, int, int]:
    """A straightforward computation, unit by unit: (included used, extra, total cents)."""
    left, used, extra_total, cents = included, 0, 0, 0
    term_position = 0
    ticket_extra: dict[str, int] = {}
    ticket_charged: dict[str, int] = {}
    for ticket, minutes in entries:
        units = (minutes + 14) // 15
        extra = 0
        for _ in range(units):
            if left > 0:
                left -= 1
                used += 1
            else:
                extra += 1
        extra_total += extra
        before = ticket_extra.get(ticket, 0)
        after = before + extra
        owed = (max(after, minimum) if after else 0) - ticket_charged.get(ticket, 0)
        for _ in range(max(owed, 0)):
            position = ticket_charged.get(ticket, 0) if scope == "ticket" else term_position
            price = [p for start, p in tiers if start <= position][-1]
            cents += price
            ticket_charged[ticket] = ticket_charged.get(ticket, 0) + 1
            term_position += 1
        ticket_extra[ticket] = after
    return used, extra_total, cents


schedules = st.sampled_from(
    [
        ("contract_term", [(0, 2225)], 0),
        ("contract_term", [(0, 2475)], 0),
        ("ticket", [(0, 3725), (4, 3225)], 0),
        ("ticket", [(0, 3725), (4, 3225)], 4),
        ("contract_term", [(0, 2000), (10, 1500), (40, 1000)], 0),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    schedule=schedules,
    included=st.integers(min_value=0, max_value=64),
    entries=st.lists(
        st.tuples(st.sampled_from(["t1", "t2", "t3"]), st.integers(min_value=1, max_value=1440)), max_size=40
    ),
)
def test_r4_8_ledger_invariant_and_total_match_a_reference_for_random_sequences(schedule, included, entries):
    scope, tiers, minimum = schedule
    rates = RateSchedule.from_values(scope=scope, tiers=tiers, minimum_units_per_ticket=minimum)
    charges = pricing.charge_sequence(rates, included, entries)
    used = sum(c.included_units for c in charges)
    extra = sum(c.extra_units for c in charges)
    units = sum(pricing.units_for(m) for _, m in entries)
    assert used <= included
    assert used + extra == units
    assert all(c.included_units + c.extra_units == c.units for c in charges)
    assert (used, extra, sum(c.amount_cents for c in charges)) == reference_charges(
        included=included, tiers=tiers, scope=scope, minimum=minimum, entries=entries
    )
