"""Each report against figures worked out by hand from the known data set (tests/reports/conftest.py):
to the unit and the cent (R11.1, R11.2, R10.7, R6.3, R8.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partnerdesk.billing import selectors as billing_selectors
from partnerdesk.reports import selectors
from partnerdesk.tickets.choices import Category, Level, TicketState
from partnerdesk.tickets.models import Ticket, TicketTransition
from partnerdesk.tickets.services import create_ticket

pytestmark = pytest.mark.django_db


def report(user, name, **params):
    return selectors.build_report(user, name, {k: str(v) for k, v in params.items()})


def test_r11_1_time_per_partner_contract_and_month(data):
    vendor = data.world.user("vendor_admin")
    got = report(vendor, "time", **{"from": "2026-09-01", "to": "2026-10-31"})
    rows = [
        (r["month"], r["partner"], r["contract_id"], r["plan"], r["minutes"], r["included_units"], r["extra_units"])
        + (r["extra_amount"],)
        for r in got.rows
    ]
    a, b = data.contract_a.pk, data.contract_b.pk
    assert rows == [
        ("2026-09", "Nordlicht Systemhaus GmbH", a, "M", 120, 8, 0, Decimal("0.00")),
        ("2026-10", "Alpen IT-Service e.K.", b, "L", 60, 4, 0, Decimal("0.00")),
        ("2026-10", "Nordlicht Systemhaus GmbH", a, "M", 480, 8, 24, Decimal("594.00")),
    ]
    assert got.totals == {"minutes": 660, "included_units": 20, "extra_units": 24, "extra_amount": Decimal("594.00")}
    # The chart stacks included and extra per month.
    assert got.chart_rows() == [
        {"month": "2026-09", "included_units": 8, "extra_units": 0},
        {"month": "2026-10", "included_units": 12, "extra_units": 24},
    ]


def test_r11_1_time_filtered_by_partner_plan_and_period(data):
    vendor = data.world.user("sales")
    by_plan = report(vendor, "time", **{"from": "2026-09-01", "to": "2026-10-31", "plan": data.contract_b.plan_id})
    assert [(r["plan"], r["minutes"]) for r in by_plan.rows] == [("L", 60)]
    by_partner = report(
        vendor, "time", **{"from": "2026-10-01", "to": "2026-10-31", "partner": data.world.partner_a.pk}
    )
    assert [(r["month"], r["minutes"]) for r in by_partner.rows] == [("2026-10", 480)]


def test_r11_1_revenue_per_month_nets_cancellations(data):
    vendor = data.world.user("billing")
    got = report(vendor, "revenue", **{"from": "2026-09-01", "to": "2026-10-31"})
    assert [(r["month"], r["extra_amount"], r["invoiced_net"], r["cancelled_net"]) for r in got.rows] == [
        ("2026-09", Decimal("0.00"), Decimal("100.00"), Decimal("0.00")),
        ("2026-10", Decimal("594.00"), Decimal("50.50"), Decimal("-100.00")),
    ]
    assert got.totals["invoiced_net"] == Decimal("150.50")
    period = {"from": "2026-09-01", "to": "2026-10-31"}
    only_b = report(vendor, "revenue", **period, partner=data.world.partner_b.pk)
    assert sum(r["invoiced_net"] for r in only_b.rows) == Decimal("0.00")


def test_r6_3_r11_1_service_levels_per_plan_in_support_minutes(data):
    vendor = data.world.user("l2_agent")
    got = report(vendor, "service-levels", **{"from": "2026-11-10", "to": "2026-11-10"})
    by_plan = {r["plan"]: r for r in got.rows}
    m = by_plan["M"]
    assert (m["tickets"], m["responded_in_time"], m["responses_breached"]) == (3, 2, 1)
    assert m["response_share"] == Decimal("0.6667")
    # Support minutes to the first response: 60, 240, 540 -> median 240, 90th percentile 540.
    assert (m["response_median"], m["response_p90"]) == (240, 540)
    # One resolved (420 support minutes, within 3,840); the two open ones are past their due time.
    assert (m["resolved_in_time"], m["resolution_share"], m["resolutions_breached"]) == (1, Decimal("0.3333"), 2)
    assert (m["resolution_median"], m["resolution_p90"]) == (420, 420)
    low = by_plan["L"]
    assert (low["tickets"], low["response_share"], low["responses_breached"], low["response_median"]) == (
        1,
        Decimal("0.0000"),
        1,
        None,
    )
    breaches = got.details[0].rows
    assert [b["ticket"] for b in breaches] == sorted(
        [data.sla["middle"].pk, data.sla["late"].pk, data.sla["silent"].pk]
    )


def test_r1_3_breaches_show_the_vendor_pseudonyms_and_the_partner_names(data):
    vendor = report(data.world.user("vendor_admin"), "service-levels", **{"from": "2026-11-10", "to": "2026-11-10"})
    labels = {b["end_customer"] for b in vendor.details[0].rows}
    assert labels == {data.world.customer_a.pseudonym, data.world.customer_b.pseudonym}
    partner = report(data.world.user("partner_admin"), "service-levels", **{"from": "2026-11-10", "to": "2026-11-10"})
    assert {b["end_customer"] for b in partner.details[0].rows} == {"Bäckerei Hansen KG"}


def test_r11_1_tickets_by_category_and_level_with_rates_and_hand_backs(data):
    world = data.world
    made = []
    for category, level, escalated in (
        (Category.MALFUNCTION, Level.SECOND, True),
        (Category.MALFUNCTION, Level.SECOND, True),
        (Category.SOFTWARE_DEFECT, Level.THIRD, True),
        (Category.INSTALLATION, Level.FIRST, False),
    ):
        ticket = create_ticket(acting_user=world.user("l1_agent"), end_customer=world.customer_a, subject="Counted")
        Ticket.objects.filter(pk=ticket.pk).update(
            category=category,
            level=level,
            state=TicketState.ESCALATED if escalated else TicketState.IN_PROGRESS,
            escalated_at=data.sla["fast"].escalated_at if escalated else None,
            created_at=data.sla["fast"].escalated_at.replace(month=10, day=5),
        )
        made.append(ticket)
    l2 = world.user("l2_agent")
    # The first malfunction went to third level and came back to second: still counted as third level once.
    for ticket, from_level, to_level, reason in (
        (made[0], Level.SECOND, Level.THIRD, ""),
        (made[0], Level.THIRD, Level.SECOND, "answered"),
        (made[1], Level.SECOND, Level.FIRST, "out_of_scope"),
        (made[2], Level.THIRD, Level.THIRD, "answered"),
    ):
        TicketTransition.objects.create(
            ticket=ticket,
            actor=l2,
            from_state="escalated",
            to_state="escalated",
            from_level=from_level,
            to_level=to_level,
            reason=reason,
        )
    got = report(world.user("vendor_admin"), "tickets", **{"from": "2026-10-05", "to": "2026-10-05"})
    assert [(r["category"], r["first_level"], r["second_level"], r["third_level"], r["total"]) for r in got.rows] == [
        ("Installation", 1, 0, 0, 1),
        ("Malfunction", 0, 2, 0, 2),
        ("Software defect", 0, 0, 1, 1),
    ]
    assert got.totals == {
        "tickets": 4,
        "escalated": 3,
        "escalation_rate": Decimal("0.7500"),
        "third_level": 2,
        "third_level_rate": Decimal("0.6667"),
    }
    assert [(r["code"], r["count"]) for r in got.details[0].rows] == [("answered", 2), ("out_of_scope", 1)]


def test_r11_1_sales_view_suggests_l_for_a_heavy_m_user(data):
    got = report(data.world.user("sales"), "usage", **{"from": "2026-09-01", "to": "2026-10-31"})
    # A used 40 units on M: 499.00 + 24 x 24.75 = 1,093.00; on L: 899.00 + 8 x 22.25 = 1,077.00.
    assert [(r["partner"], r["plan"], r["included_units_used"], r["extra_units"]) for r in got.rows] == [
        ("Nordlicht Systemhaus GmbH", "M", 16, 24)
    ]
    row = got.rows[0]
    assert (row["cost"], row["suggested_plan"], row["saving"]) == (Decimal("1093.00"), "L", Decimal("16.00"))


def test_r10_7_r11_2_next_invoice_of_the_partner(data):
    got = report(data.world.user("partner_admin"), "next-invoice")
    # Nothing invoiced yet from the contract: its first term's fee and A's 24 extra units.
    assert got.totals["amount"] == Decimal("499.00") + Decimal("594.00")
    assert {r["contract_id"] for r in got.rows} == {data.contract_a.pk}
    # The same lines as the contract's own preview (billing.selectors.next_invoice_preview).
    assert got.totals["amount"] == billing_selectors.next_invoice_preview(data.contract_a).total


def test_r8_3_manual_deflection_is_the_figure_of_tickets_deflection(data):
    from partnerdesk.tickets import deflection

    user = data.world.user("vendor_admin")
    got = report(user, "manual-deflection", **{"from": "2026-01-01", "to": "2026-12-31"})
    figure = deflection.manual_deflection(user, start=got.filters.start, end=got.filters.end)
    assert [(r["partner_id"], r["solved_with_manual"]) for r in got.rows] == [
        (p.partner_id, p.solved_with_manual) for p in figure.partners
    ]


def test_r6_3_support_minutes_in_sql_equal_the_support_calendar(data):
    """On PostgreSQL the percentiles come from a day table in SQL; they must equal the calendar's own
    count (tickets.clocks) for tickets over weekends, a holiday (25 December) and odd seconds."""
    from datetime import timedelta

    from django.db import connection

    from partnerdesk.tickets import clocks
    from tests.reports.conftest import berlin

    if connection.vendor != "postgresql":
        pytest.skip("the SQL path runs on PostgreSQL")
    start = berlin(2026, 12, 17, 16, 59, 31)
    for n in range(40):
        escalated = start + timedelta(hours=7 * n, seconds=17 * n)
        ticket = Ticket.objects.get(pk=data.sla["fast"].pk)
        ticket.pk = None
        ticket.save()
        Ticket.objects.filter(pk=ticket.pk).update(
            escalated_at=escalated,
            first_response_due_at=clocks.due_after(escalated, 480),
            first_response_at=escalated + timedelta(hours=3 * n, minutes=n),
            resolution_due_at=clocks.due_after(escalated, 3840),
            resolved_at=escalated + timedelta(days=n % 9, minutes=7 * n),
        )
    f = selectors.Filters(start=start.date(), end=(start + timedelta(days=20)).date())
    tickets = selectors._escalated(f)
    assert tickets.count() == 40
    assert selectors._support_minutes_used(tickets, f) == selectors._support_minutes_used_in_python(tickets)
