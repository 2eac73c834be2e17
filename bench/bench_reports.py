"""Benchmark of the vendor reports on PostgreSQL (reports issue 16, R11.1).

Run:  .venv/bin/python bench/bench_reports.py  [--rebuild] [--repeat N]

Database: ``DATABASE_URL`` when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/pd_reports.
The data is built once in that database (refused unless its name contains "bench" or "reports") and
reused; ``--rebuild`` drops its schema and builds it again. The reports only read.

Data (made by PostgreSQL itself, INSERT ... SELECT generate_series, seeded): the billing benchmark's
5,000 partners with two contracts each on L, M and S (bench_billing.make_parties); 100 tickets per
contract (1,000,000 tickets) opened over 2026 in support hours, a fifth at first level, the rest
escalated (a fifth of those to third level) with first-response and resolution due times, most answered
and resolved; one billable time entry per ticket (1,000,000 entries), 15 to 90 minutes, on L and M
included or extra; a hand-back on every tenth escalated ticket; one invoice per partner and month
(55,000) with a cancellation of every hundredth.

Measurement, in the same run and over the same year: each vendor report as the API builds it
(``selectors.build_report``, best of --repeat after a warm-up) beside the bare aggregate query its
figures need (one SQL statement, no Python, best of --repeat). Target: each report under 1 s. Not a
test: exit code 0 whatever the figures are, 2 on errors.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_billing as bb  # noqa: E402  (the billing benchmark's parties and helpers)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pd_reports"
PARTNERS = 5_000
TICKETS_PER_CONTRACT = 100
SEED = 0.20261216
TARGET_SECONDS = 1.0
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}

TICKET_COLUMNS = [
    "partner_id", "end_customer_id", "created_by_id", "subject", "category", "level", "state", "charged_contract_id",
    "created_at", "updated_at", "escalated_at", "first_response_due_at", "first_response_at", "resolution_due_at",
    "resolved_at", "due_at", "solved_with_manual",
]  # fmt: skip

TICKETS_SQL = """
WITH s AS (
    SELECT c.id AS contract_id, c.partner_id, e.id AS customer_id, g,
           '2026-01-05 09:00+01'::timestamptz + (floor(random() * 340) * interval '1 day')
               + (floor(random() * 28800) * interval '1 second') AS opened,
           floor(random() * 5)::int AS cat, random() AS lv, random() AS answered, random() AS done
    FROM contracts_contract c
    JOIN accounts_endcustomer e ON e.partner_id = c.partner_id
    CROSS JOIN generate_series(1, %(per_contract)s) AS g
), t AS (
    SELECT s.*, CASE WHEN lv < 0.2 THEN 1 WHEN lv < 0.84 THEN 2 ELSE 3 END AS level,
           CASE WHEN lv < 0.2 THEN NULL ELSE opened + interval '1 hour' END AS escalated
    FROM s
)
INSERT INTO tickets_ticket ({columns})
SELECT partner_id, customer_id, %(agent)s, 'Ticket ' || contract_id || '/' || g,
       (ARRAY['installation', 'operation', 'malfunction', 'software_defect', 'other'])[cat + 1], level,
       CASE WHEN done < 0.7 THEN 'resolved' WHEN level = 1 THEN 'in_progress'
            WHEN level = 3 THEN 'third_level' ELSE 'escalated' END,
       contract_id, opened, opened, escalated,
       escalated + interval '4 hours',
       CASE WHEN escalated IS NOT NULL AND answered < 0.9 THEN escalated + answered * interval '6 hours' END,
       escalated + interval '4 days',
       CASE WHEN done < 0.7 THEN opened + done * interval '7 days' END,
       CASE WHEN done >= 0.7 AND escalated IS NOT NULL THEN escalated + interval '4 days' END,
       level = 1 AND done < 0.35{extra}
FROM t
ORDER BY contract_id, g
"""

ENTRY_COLUMNS = [
    "ticket_id", "contract_id", "term_id", "agent_id", "started_at", "minutes", "activity", "text", "billable",
    "units", "included_units", "extra_units", "charged_units", "amount_cents", "currency", "charge_lines",
    "booked_at",
]  # fmt: skip

ENTRIES_SQL = """
WITH s AS (
    SELECT t.id AS ticket_id, t.charged_contract_id AS contract_id, ct.id AS term_id, p.code,
           ct.included_units_granted AS granted, t.created_at + interval '2 hours' AS started_at,
           (1 + floor(random() * 6))::int AS units
    FROM tickets_ticket t
    JOIN contracts_contract c ON c.id = t.charged_contract_id
    JOIN contracts_plan p ON p.id = c.plan_id
    JOIN contracts_contractterm ct ON ct.contract_id = c.id AND ct.index = 0
), ledger AS (
    SELECT s.*, sum(units) OVER (PARTITION BY term_id ORDER BY started_at, ticket_id) - units AS before
    FROM s
), priced AS (
    SELECT ledger.*, greatest(0, least(units, granted - before)) AS inc,
           CASE code WHEN 'L' THEN 2225 WHEN 'M' THEN 2475 ELSE 3725 END AS price
    FROM ledger
)
INSERT INTO contracts_timeentry ({columns})
SELECT ticket_id, contract_id, term_id, %(agent)s, started_at, units * 15, 'email', 'Analysis', true,
       units, inc, units - inc, units - inc, (units - inc) * price, 'EUR',
       CASE WHEN inc = units THEN '[]'::jsonb
            ELSE jsonb_build_array(jsonb_build_object('quantity', units - inc, 'unit_price_cents', price)) END,
       started_at + interval '1 hour'{extra}
FROM priced
ORDER BY ticket_id
"""

TRANSITIONS_SQL = """
INSERT INTO tickets_tickettransition ({columns})
SELECT id, escalated_at + interval '2 hours', %(agent)s, 'escalated', 'in_progress', 2, 1,
       (ARRAY['out_of_scope', 'information_missing', 'answered'])[1 + id %% 3]{extra}
FROM tickets_ticket WHERE escalated_at IS NOT NULL AND id %% 10 = 0
"""
TRANSITION_COLUMNS = ["ticket_id", "at", "actor_id", "from_state", "to_state", "from_level", "to_level", "reason"]

INVOICES_SQL = """
WITH m AS (
    SELECT p.id AS partner_id, month, row_number() OVER (ORDER BY p.id, month) AS n
    FROM accounts_partner p CROSS JOIN generate_series(1, 11) AS month
)
INSERT INTO billing_invoice (series, sequence, number, type_code, state, partner_id, period, period_start,
    period_end, issued_on, due_on, issued_at, currency, seller, buyer, buyer_reference, payment_iban, payment_bic,
    bank_name, payment_terms, notes, language, net_cents, vat_cents, gross_cents, vat_breakdown)
SELECT 'RB', n, 'RB-' || n, 380, 'issued', partner_id, '2026-' || lpad(month::text, 2, '0'),
       make_date(2026, month, 1), (make_date(2026, month, 1) + interval '1 month - 1 day')::date,
       (make_date(2026, month, 1) + interval '1 month')::date,
       (make_date(2026, month, 1) + interval '1 month 14 days')::date,
       make_date(2026, month, 1) + interval '1 month 8 hours', 'EUR', '{}', '{}', '', '', '', '', '', '[]', 'de',
       10000 + n %% 9000, (10000 + n %% 9000) * 19 / 100, (10000 + n %% 9000) + (10000 + n %% 9000) * 19 / 100, '[]'
FROM m
"""

CANCELLATIONS_SQL = """
INSERT INTO billing_invoice (series, sequence, number, type_code, state, partner_id, period, period_start,
    period_end, issued_on, due_on, issued_at, currency, seller, buyer, buyer_reference, payment_iban, payment_bic,
    bank_name, payment_terms, notes, language, net_cents, vat_cents, gross_cents, vat_breakdown, preceding_id)
SELECT 'RC', sequence, 'RC-' || sequence, 384, 'issued', partner_id, period, period_start, period_end,
       issued_on + 3, due_on, issued_at + interval '3 days', currency, seller, buyer, '', '', '', '', '', '[]', 'de',
       -net_cents, -vat_cents, -gross_cents, '[]', id
FROM billing_invoice WHERE series = 'RB' AND sequence %% 100 = 0
"""


def database_url() -> str:
    import os

    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"} else DEFAULT_URL


def insert(sql: str, model: Any, columns: list[str], params: dict[str, Any]) -> None:
    extra_columns, extra_values = bb.not_null_defaults(model, columns)
    statement = sql.format(
        columns=", ".join([*columns, *extra_columns]),
        extra="".join(f", %(x{n})s" for n in range(len(extra_values))),
    )
    bb.run_sql(statement, {**params, **{f"x{n}": v for n, v in enumerate(extra_values)}})


def build(partners: int) -> dict[str, float]:
    from django.core.management import call_command

    from partnerdesk.accounts.models import User
    from partnerdesk.tickets.models import Ticket, TicketTransition
    from partnerdesk.worklog.models import TimeEntry

    timings: dict[str, float] = {}

    def step(label: str, work: Callable[[], None]) -> None:
        began = time.perf_counter()
        work()
        timings[label] = time.perf_counter() - began
        print(f"  {label}: {timings[label]:.1f} s", flush=True)

    step("migrate", lambda: call_command("migrate", verbosity=0))
    step(f"{partners:,} partners, {partners * 2:,} contracts (ORM, bulk)", lambda: bb.make_parties(partners))
    agent = User.objects.get(email=f"l2@{bb.EMAIL_DOMAIN}").pk
    bb.run_sql("SELECT setseed(%s)", [SEED])
    step(
        "tickets (INSERT ... SELECT)",
        lambda: insert(TICKETS_SQL, Ticket, TICKET_COLUMNS, {"agent": agent, "per_contract": TICKETS_PER_CONTRACT}),
    )
    step("time entries (INSERT ... SELECT)", lambda: insert(ENTRIES_SQL, TimeEntry, ENTRY_COLUMNS, {"agent": agent}))
    step(
        "hand-backs (INSERT ... SELECT)",
        lambda: insert(TRANSITIONS_SQL, TicketTransition, TRANSITION_COLUMNS, {"agent": agent}),
    )
    step(
        "invoices and cancellations", lambda: (bb.run_sql(INVOICES_SQL, {}), bb.run_sql(CANCELLATIONS_SQL, {})) and None
    )
    # The ledger columns of the terms, as the bookings would have left them.
    step(
        "term ledgers",
        lambda: bb.run_sql(
            """UPDATE contracts_contractterm ct SET included_units_used = s.inc, extra_units = s.extra,
                      charged_units = s.extra, extra_amount_cents = s.amount
               FROM (SELECT term_id, sum(included_units) inc, sum(extra_units) extra, sum(amount_cents) amount
                     FROM contracts_timeentry GROUP BY term_id) s WHERE s.term_id = ct.id"""
        ),
    )
    step("VACUUM ANALYZE", lambda: bb.run_sql("VACUUM ANALYZE"))
    bb.run_sql("CREATE TABLE bench_reports_built (partners int)")
    bb.run_sql("INSERT INTO bench_reports_built VALUES (%s)", [partners])
    return timings


# The bare aggregate each report's figures need: one statement over the same rows, no Python.
BARE: dict[str, str] = {
    "time": """
        SELECT date_trunc('month', e.started_at AT TIME ZONE 'Europe/Berlin'), c.partner_id, e.contract_id, c.plan_id,
               sum(e.minutes), sum(e.included_units), sum(e.extra_units), sum(e.amount_cents)
        FROM contracts_timeentry e JOIN contracts_contract c ON c.id = e.contract_id
        WHERE e.billable AND e.started_at >= %(low)s AND e.started_at < %(high)s GROUP BY 1, 2, 3, 4""",
    "revenue": """
        SELECT date_trunc('month', started_at AT TIME ZONE 'Europe/Berlin'), sum(amount_cents), NULL
        FROM contracts_timeentry WHERE billable AND started_at >= %(low)s AND started_at < %(high)s GROUP BY 1
        UNION ALL
        SELECT date_trunc('month', issued_on), sum(net_cents), sum(net_cents) FILTER (WHERE net_cents < 0)
        FROM billing_invoice WHERE issued_on >= %(start)s AND issued_on <= %(end)s GROUP BY 1""",
    "service-levels": """
        SELECT c.plan_id, count(*), count(*) FILTER (WHERE t.first_response_at <= t.first_response_due_at),
               count(*) FILTER (WHERE t.resolved_at <= t.resolution_due_at),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY t.first_response_at - t.escalated_at),
               percentile_disc(0.9) WITHIN GROUP (ORDER BY t.first_response_at - t.escalated_at),
               percentile_disc(0.5) WITHIN GROUP (ORDER BY t.resolved_at - t.escalated_at),
               percentile_disc(0.9) WITHIN GROUP (ORDER BY t.resolved_at - t.escalated_at)
        FROM tickets_ticket t LEFT JOIN contracts_contract c ON c.id = t.charged_contract_id
        WHERE t.escalated_at >= %(low)s AND t.escalated_at < %(high)s GROUP BY 1""",
    "tickets": """
        SELECT category, level, count(*), count(*) FILTER (WHERE escalated_at IS NOT NULL)
        FROM tickets_ticket WHERE created_at >= %(low)s AND created_at < %(high)s GROUP BY 1, 2""",
    "manual-deflection": """
        SELECT partner_id, count(*), count(*) FILTER (WHERE solved_with_manual)
        FROM tickets_ticket WHERE state IN ('resolved', 'closed') AND escalated_at IS NULL
          AND resolved_at >= %(low)s AND resolved_at < %(high)s GROUP BY 1""",
    "usage": """
        SELECT ct.id, ct.included_units_used, ct.extra_units, ct.extra_amount_cents
        FROM contracts_contractterm ct JOIN contracts_contract c ON c.id = ct.contract_id
        WHERE ct.start_date <= %(end)s AND (ct.end_date IS NULL OR ct.end_date >= %(start)s)
          AND c.state IN ('active', 'cancelled')
          AND (ct.extra_units > 0 OR (ct.included_units_granted > 0
               AND ct.included_units_used >= ct.included_units_granted * 0.8))
        ORDER BY ct.id LIMIT 200""",
}


def bare(sql: str, params: dict[str, Any]) -> Any:
    """The bare statement under the session settings the reports use (selectors.build_report)."""
    from django.db import transaction

    with transaction.atomic():
        for setting in ("SET LOCAL work_mem = '32MB'", "SET LOCAL jit = off", "SET LOCAL enable_mergejoin = off"):
            bb.run_sql(setting)
        return bb.run_sql(sql, params)


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    result = work()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - began)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="make the data again")
    parser.add_argument("--partners", type=int, default=PARTNERS, help=f"partners (default {PARTNERS:,})")
    parser.add_argument("--repeat", type=int, default=3, help="measured calls per figure (best is printed)")
    args = parser.parse_args()
    url = database_url()
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name and "reports" not in name:
        raise bb.BenchError(f"refusing database {name!r}: its name must contain 'bench' or 'reports'")
    bb.setup_django(url)
    from django.db import connection

    tables = {t.name for t in connection.introspection.get_table_list(connection.cursor())}
    built = "bench_reports_built" in tables and bb.run_sql("SELECT partners FROM bench_reports_built") == [
        (args.partners,)
    ]
    if args.rebuild or not built:
        print(f"building {name} ...", flush=True)
        bb.run_sql("DROP SCHEMA public CASCADE")
        bb.run_sql("CREATE SCHEMA public")
        build(args.partners)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from partnerdesk.accounts.choices import OrganisationKind, Role
    from partnerdesk.accounts.models import User
    from partnerdesk.reports import selectors

    vendor, _ = User.objects.get_or_create(
        email=f"admin@{bb.EMAIL_DOMAIN}",
        defaults={"full_name": "Admin", "organisation": OrganisationKind.VENDOR, "role": Role.VENDOR_ADMIN},
    )
    counts = bb.run_sql(
        "SELECT (SELECT count(*) FROM tickets_ticket), (SELECT count(*) FROM contracts_timeentry),"
        " (SELECT count(*) FROM billing_invoice), (SELECT count(*) FROM contracts_contract)"
    )[0]
    print(f"data: {counts[0]:,} tickets, {counts[1]:,} time entries, {counts[2]:,} invoices, {counts[3]:,} contracts")
    f = selectors.filters_for(vendor, PERIOD)
    low, high = f.bounds()
    params = {"low": low, "high": high, "start": f.start, "end": f.end}
    print(f"period {f.start} to {f.end}, all partners and plans; best of {args.repeat} after a warm-up\n")
    print(f"{'report':<20} {'rows':>6} {'report s':>9} {'bare s':>8} {'ratio':>6}  target")
    for report_name, bare_sql in BARE.items():
        report_seconds, report = best_of(args.repeat, lambda n=report_name: selectors.build_report(vendor, n, PERIOD))
        bare_seconds, _rows = best_of(args.repeat, lambda s=bare_sql: bare(s, params))
        ratio = report_seconds / bare_seconds if bare_seconds else float("inf")
        verdict = "PASS" if report_seconds < TARGET_SECONDS else "FAIL"
        print(
            f"{report_name:<20} {len(report.rows):>6} {report_seconds:>9.3f} {bare_seconds:>8.3f} {ratio:>5.1f}x"
            f"  {verdict} (< {TARGET_SECONDS:.0f} s)"
        )
    # One partner's view: the same reports filtered (what a partner user reads).
    partner_id = bb.run_sql("SELECT min(id) FROM accounts_partner")[0][0]
    one = {**PERIOD, "partner": str(partner_id)}
    for report_name in ("time", "service-levels", "tickets", "next-invoice"):
        seconds, report = best_of(args.repeat, lambda n=report_name: selectors.build_report(vendor, n, one))
        verdict = "PASS" if seconds < TARGET_SECONDS else "FAIL"
        print(f"{report_name + ' (1 partner)':<20} {len(report.rows):>6} {seconds:>9.3f} {'':>8} {'':>6}  {verdict}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except bb.BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
