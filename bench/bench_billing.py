"""Benchmark of one month's billing run on PostgreSQL (invoicing issue, R10.1, R10.4).

Run:  .venv/bin/python bench/bench_billing.py  [--rebuild] [--partners N] [--repeat N]

Database: ``DATABASE_URL`` when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/pd_bench_billing.
The data is built once in ``<name>_template`` (refused unless the name contains "bench") and reused;
every measured run works on a fresh copy (CREATE DATABASE ... TEMPLATE), so issued invoices, which
never change (R10.3), never have to be undone.

Data: 5,000 partners with two contracts each (10,000 contracts, a third each on L, M and S), ten
escalated tickets per contract (100,000 tickets) and ten billable time entries per ticket in
November 2026 (1,000,000 entries), made by PostgreSQL itself (INSERT ... SELECT generate_series,
seeded): 15 to 90 minutes each, on L and M the first three entries of a ticket included, the rest
extra at the plan's unit price; on S every unit charged, the first four at 37.25, then 32.25.

Measurement, in the same run and on the same rows:
- the floor: one SQL aggregate pass that computes every invoice line of the month (per partner,
  contract, ticket and unit price: quantity, first and last day, amount);
- the floor with writes: that pass plus what any correct run must write for the rows (every entry
  marked invoiced, one billed-item row per entry), in a transaction that is rolled back;
- the billing run as the worker executes it (``execute_billing_run``), seconds and peak memory
  (resident set size sampled every 20 ms, above the process's size before the run).
Then checks that the run billed every entry exactly once and that its totals equal the floor's.
Prints the ratios and PASS/FAIL against the targets (under 60 s, within 5x of the floor, memory
flat: under 200 MiB above the start whatever the row count). Not a test: exit code 0 whatever the
figures are, 2 on errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pd_bench_billing"
PARTNERS = 5_000
CONTRACTS_PER_PARTNER = 2
TICKETS_PER_CONTRACT = 10
ENTRIES_PER_TICKET = 10
PERIOD = "2026-11"
SEED = 0.20261101
TARGET_SECONDS = 60.0
TARGET_RATIO = 5.0
TARGET_MEMORY_MIB = 200.0
EMAIL_DOMAIN = "bench.invalid"


class BenchError(Exception):
    """Something the reader must fix; printed without a traceback."""


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}:
        return url
    return DEFAULT_URL


def with_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def admin_sql(url: str, *statements: str, params: Any = None) -> list[tuple[Any, ...]]:
    import psycopg

    rows: list[tuple[Any, ...]] = []
    try:
        with psycopg.connect(with_name(url, "postgres"), connect_timeout=5, autocommit=True) as conn:
            for statement in statements:
                cursor = conn.execute(statement, params)
                rows = cursor.fetchall() if cursor.description else []
    except psycopg.OperationalError as error:
        raise BenchError(f"PostgreSQL cannot be reached at {url}: {error}") from error
    return rows


def database_exists(url: str, name: str) -> bool:
    return bool(admin_sql(url, "SELECT 1 FROM pg_database WHERE datname = %s", params=[name]))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()


def run_sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


# --- data --------------------------------------------------------------------------------------------


def build_template(url: str, template: str, partners: int) -> dict[str, float]:
    """Create and fill the template database (a separate process owns no connection to it after)."""
    from django.core.management import call_command
    from django.db import connection

    timings: dict[str, float] = {}
    step = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate"] = time.perf_counter() - step
    step = time.perf_counter()
    make_parties(partners)
    timings[f"{partners:,} partners, {partners * CONTRACTS_PER_PARTNER:,} contracts and terms (ORM, bulk)"] = (
        time.perf_counter() - step
    )
    step = time.perf_counter()
    make_tickets()
    timings["tickets (INSERT ... SELECT)"] = time.perf_counter() - step
    step = time.perf_counter()
    make_entries()
    timings["time entries (INSERT ... SELECT)"] = time.perf_counter() - step
    step = time.perf_counter()
    run_sql("VACUUM ANALYZE")
    timings["VACUUM ANALYZE"] = time.perf_counter() - step
    connection.close()
    return timings


def make_parties(partner_count: int) -> None:
    from partnerdesk.accounts.choices import OrganisationKind, Role
    from partnerdesk.accounts.models import EndCustomer, Partner, User
    from partnerdesk.billing.models import BillingSettings
    from partnerdesk.contracts.choices import ContractState
    from partnerdesk.contracts.models import Contract, ContractTerm, Plan
    from partnerdesk.contracts.pricing import term_bounds

    BillingSettings.current()
    engineer = User(
        email=f"l2@{EMAIL_DOMAIN}",
        full_name="Second-level engineer",
        organisation=OrganisationKind.VENDOR,
        role=Role.L2_AGENT,
    )
    engineer.set_unusable_password()
    engineer.save()
    billing = User(
        email=f"billing@{EMAIL_DOMAIN}", full_name="Billing", organisation=OrganisationKind.VENDOR, role=Role.BILLING
    )
    billing.set_unusable_password()
    billing.save()
    partners = Partner.objects.bulk_create(
        Partner(
            number=n,
            name=f"Bench partner {n:05d}",
            street=f"Hauptstrasse {n}",
            postal_code="10115",
            city="Berlin",
            country="DE",
            email=f"partner{n:05d}@{EMAIL_DOMAIN}",
        )
        for n in range(1, partner_count + 1)
    )
    EndCustomer.objects.bulk_create(EndCustomer(partner=p, number=1, name=f"Customer of {p.name}") for p in partners)
    plans = [Plan.objects.get(code=code, is_standard=True) for code in ("L", "M", "S")]
    contracts = Contract.objects.bulk_create(
        Contract(
            partner=p,
            plan=plans[(p.number + k) % 3],
            state=ContractState.ACTIVE,
            start_date=date(2026, 1 + p.number % 11, 1),  # terms started in every month up to November
            **plans[(p.number + k) % 3].plan_values(),
        )
        for p in partners
        for k in range(CONTRACTS_PER_PARTNER)
    )
    ContractTerm.objects.bulk_create(
        ContractTerm(
            contract=c,
            index=0,
            start_date=term_bounds(c.start_date, c.term_months, 0)[0],
            end_date=term_bounds(c.start_date, c.term_months, 0)[1],
            currency=c.currency,
            fee_cents=c.fee_cents,
            unit_minutes=c.unit_minutes,
            included_units_granted=c.included_units_per_term,
        )
        for c in contracts
    )


def not_null_defaults(model: Any, set_columns: list[str]) -> tuple[list[str], list[Any]]:
    """The NOT NULL columns the SQL below does not set, with their model defaults."""
    from django.db import connection

    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in set_columns or f.null:
            continue
        if not (f.has_default() or f.empty_strings_allowed):
            raise BenchError(f"{model._meta.db_table}.{f.column} is NOT NULL without a default: teach {__file__}")
        columns.append(f.column)
        values.append(f.get_db_prep_save(f.get_default(), connection))
    return columns, values


TICKET_COLUMNS = [
    "partner_id", "end_customer_id", "created_by_id", "subject", "category", "level", "state",
    "created_at", "updated_at", "escalated_at", "product", "product_version", "environment", "description",
]  # fmt: skip

TICKETS_SQL = """
INSERT INTO tickets_ticket ({columns})
SELECT c.partner_id, e.id, %(agent)s, 'Ticket of contract ' || c.id || ' no. ' || g, 'malfunction', 2, 'escalated',
       '2026-10-20'::timestamptz, '2026-10-20'::timestamptz, '2026-10-21'::timestamptz,
       'partnerdesk Server', '5.4', 'Windows Server 2022', 'Service does not start after the update.'{extra}
FROM contracts_contract c
JOIN accounts_endcustomer e ON e.partner_id = c.partner_id
CROSS JOIN generate_series(1, %(per_contract)s) AS g
ORDER BY c.id, g
"""


def make_tickets() -> None:
    from partnerdesk.accounts.models import User
    from partnerdesk.tickets.models import Ticket

    extra_columns, extra_values = not_null_defaults(Ticket, TICKET_COLUMNS)
    statement = TICKETS_SQL.format(
        columns=", ".join([*TICKET_COLUMNS, *extra_columns]),
        extra="".join(f", %(x{n})s" for n in range(len(extra_values))),
    )
    agent = User.objects.get(email=f"l2@{EMAIL_DOMAIN}").pk
    run_sql(
        statement,
        {"agent": agent, "per_contract": TICKETS_PER_CONTRACT, **{f"x{n}": v for n, v in enumerate(extra_values)}},
    )
    # Which contract each ticket is worked under: the n-th ticket block belongs to the n-th contract.
    run_sql(
        "CREATE TABLE bench_ticket_contract AS SELECT id AS ticket_id, NULL::bigint AS contract_id FROM tickets_ticket"
    )
    run_sql(
        """
        UPDATE bench_ticket_contract b SET contract_id = c.id
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM tickets_ticket) t,
             (SELECT id, row_number() OVER (ORDER BY id) AS n FROM contracts_contract) c
        WHERE b.ticket_id = t.id AND c.n = (t.n - 1) / %s + 1
        """,
        [TICKETS_PER_CONTRACT],
    )


ENTRY_COLUMNS = [
    "ticket_id", "contract_id", "term_id", "agent_id", "started_at", "minutes", "activity", "text", "billable",
    "units", "included_units", "extra_units", "charged_units", "amount_cents", "currency", "charge_lines",
    "booked_at",
]  # fmt: skip

ENTRIES_SQL = """
WITH s AS (
    SELECT b.ticket_id, b.contract_id, t.id AS term_id, p.code, g,
           '2026-11-02 08:00+01'::timestamptz + (floor(random() * 26) * interval '1 day')
               + (floor(random() * 36) * interval '15 minutes') AS started_at,
           (1 + floor(random() * 6))::int AS units
    FROM bench_ticket_contract b
    JOIN contracts_contract c ON c.id = b.contract_id
    JOIN contracts_plan p ON p.id = c.plan_id
    JOIN contracts_contractterm t ON t.contract_id = c.id AND t.index = 0
    CROSS JOIN generate_series(1, %(per_ticket)s) AS g
), priced AS (
    SELECT s.*,
           CASE WHEN code IN ('L', 'M') AND g <= 3 THEN units ELSE 0 END AS included,
           CASE code WHEN 'L' THEN 2225 WHEN 'M' THEN 2475 ELSE 3725 END AS price
    FROM s
)
INSERT INTO contracts_timeentry ({columns})
SELECT ticket_id, contract_id, term_id, %(agent)s, started_at, units * 15, 'email', 'Analysis and answer', true,
       units, included, units - included, units - included,
       CASE WHEN included > 0 THEN 0
            WHEN code = 'S' AND g = 1 THEN least(units, 4) * 3725 + greatest(units - 4, 0) * 3225
            ELSE (units - included) * price END,
       'EUR',
       CASE WHEN included > 0 THEN '[]'::jsonb
            WHEN code = 'S' AND g = 1 AND units > 4 THEN jsonb_build_array(
                jsonb_build_object('quantity', 4, 'unit_price_cents', 3725),
                jsonb_build_object('quantity', units - 4, 'unit_price_cents', 3225))
            WHEN code = 'S' AND g > 1 THEN jsonb_build_array(
                jsonb_build_object('quantity', units, 'unit_price_cents', 3225))
            ELSE jsonb_build_array(jsonb_build_object('quantity', units - included, 'unit_price_cents', price)) END,
       started_at + interval '1 hour'{extra}
FROM priced
ORDER BY ticket_id, g
"""


def make_entries() -> None:
    from partnerdesk.accounts.models import User
    from partnerdesk.worklog.models import TimeEntry

    extra_columns, extra_values = not_null_defaults(TimeEntry, ENTRY_COLUMNS)
    statement = ENTRIES_SQL.format(
        columns=", ".join([*ENTRY_COLUMNS, *extra_columns]),
        extra="".join(f", %(x{n})s" for n in range(len(extra_values))),
    )
    agent = User.objects.get(email=f"l2@{EMAIL_DOMAIN}").pk
    run_sql("SELECT setseed(%s)", [SEED])
    run_sql(
        statement,
        {"agent": agent, "per_ticket": ENTRIES_PER_TICKET, **{f"x{n}": v for n, v in enumerate(extra_values)}},
    )
    run_sql("DROP TABLE bench_ticket_contract")


# --- the floor ---------------------------------------------------------------------------------------

# Every line of the month's invoices in one pass: per partner, contract, ticket and unit price.
FLOOR_SQL = """
SELECT c.partner_id, e.contract_id, e.ticket_id, (l->>'unit_price_cents')::int AS price,
       sum((l->>'quantity')::int) AS quantity, min(e.started_at), max(e.started_at),
       sum((l->>'quantity')::int * (l->>'unit_price_cents')::int) AS net
FROM contracts_timeentry e
JOIN contracts_contract c ON c.id = e.contract_id
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN e.included_units > 0
         THEN jsonb_build_array(jsonb_build_object('quantity', e.included_units, 'unit_price_cents', 0))
         ELSE '[]'::jsonb END || e.charge_lines) AS l
WHERE e.billable AND e.invoiced_at IS NULL AND e.started_at < %(end)s
GROUP BY c.partner_id, e.contract_id, e.ticket_id, price
"""

FLOOR_WRITES_SQL = [
    """INSERT INTO billing_billeditem (invoice_id, time_entry_id, round)
       SELECT %(invoice)s, id, billing_round FROM contracts_timeentry
       WHERE billable AND invoiced_at IS NULL AND started_at < %(end)s""",
    """UPDATE contracts_timeentry SET invoiced_at = now()
       WHERE billable AND invoiced_at IS NULL AND started_at < %(end)s""",
]


def floor_pass(end: datetime, *, writes: bool) -> tuple[float, int, int]:
    """Seconds, line count and net total in cents of the aggregate pass (plus the writes, rolled back)."""
    from django.db import connection, transaction

    from partnerdesk.billing.models import Invoice

    started = time.perf_counter()
    with transaction.atomic():
        # PostgreSQL computes every line; only their count and sum cross the wire, so the floor's
        # memory stays in the database and the run's peak memory is measured on its own.
        ((count, net),) = run_sql(f"SELECT count(*), coalesce(sum(net), 0) FROM ({FLOOR_SQL}) AS lines", {"end": end})  # noqa: S608
        if writes:
            # Billed items need an invoice to point at: borrow the newest (this transaction is rolled back).
            invoice = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first()
            if invoice is None:
                raise BenchError("the floor with writes needs an invoice in the copy")
            with connection.cursor() as cursor:
                for statement in FLOOR_WRITES_SQL:
                    cursor.execute(statement, {"invoice": invoice, "end": end})
        transaction.set_rollback(True)
    elapsed = time.perf_counter() - started
    return elapsed, int(count), int(net)


# --- memory ------------------------------------------------------------------------------------------


class RssSampler:
    """Peak resident set size of this process while the block runs, sampled every 20 ms."""

    def __init__(self) -> None:
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / 2**20


# --- measurement -------------------------------------------------------------------------------------


def measure_run() -> dict[str, Any]:
    from django.db.models import Count, Sum

    from partnerdesk.accounts.models import User
    from partnerdesk.billing import services
    from partnerdesk.billing.models import BilledItem, Invoice, InvoiceLine
    from partnerdesk.billing.periods import parse_period
    from partnerdesk.worklog.models import TimeEntry

    period = parse_period(PERIOD)
    assert period is not None
    end = datetime(period.end.year, period.end.month, period.end.day, 23, 0, tzinfo=UTC)  # midnight, Berlin
    billing = User.objects.get(email=f"billing@{EMAIL_DOMAIN}")
    floor_seconds, floor_lines, floor_net = floor_pass(end, writes=False)
    entries = TimeEntry.objects.filter(billable=True, invoiced_at__isnull=True).count()
    run = services.start_billing_run(acting_user=billing, period=PERIOD)
    with RssSampler() as memory:
        started = time.perf_counter()
        run = services.execute_billing_run(run)
        run_seconds = time.perf_counter() - started
    if run.state != "done":
        raise BenchError(f"the run ended {run.state}: {run.error}")
    totals = Invoice.objects.aggregate(n=Count("pk"), net=Sum("net_cents"))
    fees = InvoiceLine.objects.filter(kind="fee").aggregate(f=Sum("net_cents"))["f"] or 0
    billed = BilledItem.objects.filter(time_entry__isnull=False).count()
    left = TimeEntry.objects.filter(billable=True, invoiced_at__isnull=True).count()
    return {
        "floor_seconds": floor_seconds,
        "floor_lines": floor_lines,
        "floor_net": floor_net,
        "entries": entries,
        "run_seconds": run_seconds,
        "memory_mib": memory.growth_mib,
        "invoices": totals["n"],
        "net": (totals["net"] or 0) - fees,
        "billed_entries": billed,
        "left": left,
    }


def measure_floor_with_writes() -> float:
    """The aggregate pass and the writes, on a fresh copy (nothing billed yet), rolled back."""
    from django.db import connection

    from partnerdesk.billing.periods import parse_period

    period = parse_period(PERIOD)
    assert period is not None
    end = datetime(period.end.year, period.end.month, period.end.day, 23, 0, tzinfo=UTC)
    # An invoice for the billed items to point at, issued for one partner through the service.
    from partnerdesk.accounts.models import Partner
    from partnerdesk.billing import services

    first = Partner.objects.order_by("pk").first()
    assert first is not None
    services.issue_partner_invoice(partner_id=first.pk, period=period, until=period.end, booked_by=_now())
    seconds, _lines, _net = floor_pass(end, writes=True)
    connection.close()
    return seconds


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def fresh_copy(url: str, name: str, template: str) -> None:
    from django.db import connections

    connections.close_all()
    admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="make the data again")
    parser.add_argument("--partners", type=int, default=PARTNERS, help=f"partners (default {PARTNERS:,})")
    parser.add_argument("--repeat", type=int, default=1, help="measured runs, each on a fresh copy")
    args = parser.parse_args()
    url = database_url()
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise BenchError(f"refusing database {name!r}: its name must contain 'bench'")
    template = f"{name}_template"
    setup_django(with_name(url, template))
    from django.conf import settings

    if args.rebuild and database_exists(url, template):
        admin_sql(url, f'DROP DATABASE "{template}" WITH (FORCE)')
    if not database_exists(url, template):
        admin_sql(url, f'CREATE DATABASE "{template}"')
        print(f"building {template} ...", flush=True)
        for label, seconds in build_template(url, template, args.partners).items():
            print(f"  {label}: {seconds:.1f} s", flush=True)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the data stays; the schema follows the working tree
    settings.DATABASES["default"]["NAME"] = name
    results = []
    for n in range(args.repeat):
        fresh_copy(url, name, template)
        results.append(measure_run())
        print(f"run {n + 1}: {results[-1]['run_seconds']:.1f} s", flush=True)
    fresh_copy(url, name, template)
    writes_seconds = measure_floor_with_writes()
    best = min(results, key=lambda r: r["run_seconds"])
    contracts = args.partners * CONTRACTS_PER_PARTNER
    print()
    print(f"billing run of {PERIOD}: {args.partners:,} partners, {contracts:,} contracts, {best['entries']:,} entries")
    print(f"  floor (one aggregate pass, {best['floor_lines']:,} lines): {best['floor_seconds']:.2f} s")
    print(f"  floor with the writes (mark entries, billed items):       {writes_seconds:.2f} s")
    print(f"  billing run (execute_billing_run):                        {best['run_seconds']:.2f} s")
    print(f"  peak memory above start:                                  {best['memory_mib']:.0f} MiB")
    ratio = best["run_seconds"] / best["floor_seconds"]
    ratio_writes = best["run_seconds"] / writes_seconds
    print(f"  ratio run / floor: {ratio:.1f}x; run / floor with writes: {ratio_writes:.1f}x")
    exact = best["billed_entries"] == best["entries"] and best["left"] == 0 and best["net"] == best["floor_net"]
    print(
        f"  check: {best['invoices']:,} invoices, {best['billed_entries']:,} entries billed once, {best['left']} left, "
        f"lines net {best['net'] / 100:,.2f} EUR vs floor {best['floor_net'] / 100:,.2f} EUR: "
        + ("same" if exact else "DIFFERENT")
    )
    verdict = [
        ("under 60 s", best["run_seconds"] < TARGET_SECONDS),
        ("within 5x of the floor with writes", ratio_writes <= TARGET_RATIO),
        (f"memory under {TARGET_MEMORY_MIB:.0f} MiB", best["memory_mib"] < TARGET_MEMORY_MIB),
        ("totals equal the floor", exact),
    ]
    for label, ok in verdict:
        print(f"  {'PASS' if ok else 'FAIL'}: {label}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
