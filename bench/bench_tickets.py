"""Benchmark of the partner's ticket list and the vendor's queue through the API on PostgreSQL (tickets issue).

Run:  .venv/bin/python bench/bench_tickets.py  [--rebuild] [--repeat N] [--repeat-slow N] [--drop-fk-indexes]

Database: ``DATABASE_URL`` when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/pd_bench.
The database is created when missing and migrated; it must hold nothing but this benchmark's data:
the script refuses a database whose name lacks "bench" (unless ``--any-database``) and one that holds
partners of its own.

Data: 200 partners, 20 end customers each, one first-level agent per partner and one second-level
agent of the vendor, and 1,000,000 tickets made by PostgreSQL itself (INSERT ... SELECT
generate_series, seeded): created_at rises with the id over two years; 18 % escalated and 7 % third
level (due_at from 30 days ago to 30 days ahead), 2 % waiting for the partner (clock paused), 10 %
first level, the rest resolved or closed (30 % of those after an escalation). Existing data with the
right counts is reused; ``--rebuild`` makes it again. Then VACUUM ANALYZE.

Measurement: Django's test Client against the real URLconf and middleware, with a bearer token from
``create_api_token`` (no network, no server process; the database is the real PostgreSQL), first
page (limit 50) of each request, after warm-up. Then the project's query indexes on tickets_ticket
(``Ticket._meta.indexes``) are dropped, the same requests are measured again, and the indexes are
recreated (also after an error or Ctrl-C: their definitions wait in the table bench_dropped_index, and
the next run restores any left behind). ``--drop-fk-indexes`` also drops Django's foreign-key indexes
for the "without" side. Prints p50/p95/max, the ratio without/with indexes, PASS/FAIL against a 50 ms
p95, and the EXPLAIN (ANALYZE, BUFFERS) of the SQL behind each request (the page and the API's
bounded count). Not a test: the exit code is 0 whatever the figures are, 2 on errors.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pd_bench"
TARGET_MS = 50.0
PARTNERS = 200
CUSTOMERS_PER_PARTNER = 20
TICKETS = 1_000_000
SEED = 0.20240601  # setseed() takes -1..1
EMAIL_DOMAIN = "bench.invalid"
PARTNER_PREFIX = "Bench partner "


class BenchError(Exception):
    """Something the reader must fix (no PostgreSQL, foreign data); printed without a traceback."""


# --- database and Django ------------------------------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}:
        return url
    if url:
        print(f"DATABASE_URL is not PostgreSQL ({urlsplit(url).scheme or url!r}): using {DEFAULT_URL}")
    return DEFAULT_URL


def ensure_database(url: str) -> None:
    """Create the database when missing; a clear error when PostgreSQL cannot be reached."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError(f"DATABASE_URL names no database: {url}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, connect_timeout=5, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
    except psycopg.OperationalError as error:
        raise BenchError(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432}: {error}") from error


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "false"  # no query log in the timed requests
    os.environ.setdefault("CONN_MAX_AGE", "3600")  # one connection for the whole run, as a busy server has
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    src = Path(__file__).resolve().parents[1] / "src"
    sys.path.insert(0, str(src))  # the working tree's code, installed or not
    import django

    django.setup()


def run_sql(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


# --- indexes ----------------------------------------------------------------------------------------


def query_index_names() -> list[str]:
    """The project's own query indexes on tickets (Meta.indexes), not the PK and FK indexes."""
    from partnerdesk.tickets.models import Ticket

    return [index.name for index in Ticket._meta.indexes]


def fk_index_names() -> list[str]:
    """Secondary indexes Django made by itself (one per foreign key): not unique, not primary, not ours."""
    ours = set(query_index_names())
    rows = run_sql(
        """
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'tickets_ticket'::regclass AND NOT i.indisprimary AND NOT i.indisunique
        ORDER BY c.relname
        """
    )
    return [name for (name,) in rows if name not in ours]


def drop_indexes(names: list[str]) -> list[str]:
    """Drop the indexes, keeping their definitions in a bookkeeping table until they are recreated."""
    from django.db import connection, transaction

    dropped = []
    with transaction.atomic():
        for name in names:
            row = run_sql(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s", [name]
            )
            if not row:
                continue
            run_sql(
                "INSERT INTO bench_dropped_index (name, definition) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                [name, row[0][0]],
            )
            run_sql(f"DROP INDEX {connection.ops.quote_name(name)}")
            dropped.append(name)
    return dropped


def restore_indexes() -> list[str]:
    """Recreate every index this script dropped (now, or in an earlier run that was interrupted)."""
    run_sql("CREATE TABLE IF NOT EXISTS bench_dropped_index (name text PRIMARY KEY, definition text NOT NULL)")
    restored = []
    for name, definition in run_sql("SELECT name, definition FROM bench_dropped_index ORDER BY name"):
        if not run_sql("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s", [name]):
            run_sql(definition)
            restored.append(name)
        run_sql("DELETE FROM bench_dropped_index WHERE name = %s", [name])
    return restored


# --- data -------------------------------------------------------------------------------------------


def bench_counts() -> dict[str, int]:
    from partnerdesk.accounts.models import EndCustomer, Partner, User
    from partnerdesk.tickets.models import Ticket

    return {
        "partners": Partner.objects.filter(name__startswith=PARTNER_PREFIX).count(),
        "other partners": Partner.objects.exclude(name__startswith=PARTNER_PREFIX).count(),
        "end customers": EndCustomer.objects.filter(partner__name__startswith=PARTNER_PREFIX).count(),
        "users": User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count(),
        "tickets": Ticket.objects.count(),
    }


def data_is_complete(counts: dict[str, int]) -> bool:
    return counts == {
        "partners": PARTNERS,
        "other partners": 0,
        "end customers": PARTNERS * CUSTOMERS_PER_PARTNER,
        "users": PARTNERS + 1,
        "tickets": TICKETS,
    }


def remove_bench_data() -> None:
    from partnerdesk.accounts.models import ApiToken, EndCustomer, Partner, SecurityLog, User

    # Everything that points at a ticket goes with it (the database holds nothing else, see guard).
    run_sql("TRUNCATE tickets_ticket RESTART IDENTITY CASCADE")
    users = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN)
    ApiToken.objects.filter(user__in=users).delete()
    SecurityLog.objects.filter(user__in=users).delete()
    users.delete()
    EndCustomer.objects.filter(partner__name__startswith=PARTNER_PREFIX).delete()
    Partner.objects.filter(name__startswith=PARTNER_PREFIX).delete()


def make_parties() -> tuple[list[int], list[int], list[int]]:
    """Partners, end customers and users through the ORM in bulk (4,401 rows; every default applies)."""
    from partnerdesk.accounts.choices import OrganisationKind, Role
    from partnerdesk.accounts.models import EndCustomer, Partner, User

    partners = Partner.objects.bulk_create(
        Partner(number=n, name=f"{PARTNER_PREFIX}{n:03d}", city="Berlin", email=f"partner{n:03d}@{EMAIL_DOMAIN}")
        for n in range(1, PARTNERS + 1)
    )
    customers = EndCustomer.objects.bulk_create(
        EndCustomer(partner=p, number=k, name=f"Customer {k:02d} of {p.name}", name_revealed=k % 4 == 0)
        for p in partners
        for k in range(1, CUSTOMERS_PER_PARTNER + 1)
    )
    agents = []
    for p in partners:
        agent = User(
            email=f"l1-{p.number:03d}@{EMAIL_DOMAIN}",
            full_name=f"First-level agent {p.number:03d}",
            organisation=OrganisationKind.PARTNER,
            partner=p,
            role=Role.L1_AGENT,
        )
        agent.set_unusable_password()  # nobody logs in; the API token is made per run
        agents.append(agent)
    l2 = User(
        email=f"l2@{EMAIL_DOMAIN}",
        full_name="Second-level agent",
        organisation=OrganisationKind.VENDOR,
        role=Role.L2_AGENT,
    )
    l2.set_unusable_password()
    agents = User.objects.bulk_create([*agents, l2])
    return [p.pk for p in partners], [c.pk for c in customers], [u.pk for u in agents[:PARTNERS]]


# Ticket columns set by TICKETS_SQL; every other NOT NULL column gets its model default.
TICKET_COLUMNS = [
    "partner_id", "end_customer_id", "created_by_id", "subject", "category", "level", "state",
    "created_at", "updated_at", "escalated_at", "resolved_at", "first_response_due_at", "first_response_at",
    "resolution_due_at", "clock_paused_at", "due_at", "product", "product_version", "environment", "description",
]  # fmt: skip

TICKETS_SQL = """
WITH s AS (
    SELECT g AS i,
           1 + floor(random() * %(partners)s)::int AS p,
           floor(random() * %(customers)s)::int AS c,
           random() AS r_state, random() AS r_cat, random() AS r_esc, random() AS r_due,
           %(start)s::timestamptz + (g - 1) * %(step)s::interval AS created_at
    FROM generate_series(1, %(tickets)s) AS g
), t AS (
    SELECT s.*,
           CASE WHEN r_state < 0.18 THEN 'escalated'
                WHEN r_state < 0.25 THEN 'third_level'
                WHEN r_state < 0.27 THEN 'waiting_for_partner'
                WHEN r_state < 0.30 THEN 'new'
                WHEN r_state < 0.35 THEN 'in_progress'
                WHEN r_state < 0.37 THEN 'waiting_for_end_customer'
                WHEN r_state < 0.62 THEN 'resolved'
                ELSE 'closed' END AS state,
           (r_state < 0.27 OR (r_state >= 0.37 AND r_esc < 0.3)) AS was_escalated,
           -- the queue's due time, 30 days overdue to 30 days ahead of now
           now() + (r_due * 60 - 30) * interval '1 day' AS due,
           least(now(), s.created_at + r_esc * interval '2 days') AS escalated
    FROM s
)
INSERT INTO tickets_ticket ({columns})
SELECT (%(partner_ids)s::bigint[])[p],
       (%(customer_ids)s::bigint[])[(p - 1) * %(customers)s + c + 1],
       (%(agent_ids)s::bigint[])[p],
       'Ticket ' || i || ': ' || (ARRAY['Login fails after update', 'Report export is empty', 'Service does not start',
           'Slow search in archive', 'Licence not recognised', 'Printing hangs', 'Sync conflict on save',
           'Question about backup'])[1 + i %% 8],
       CASE WHEN was_escalated THEN CASE WHEN r_cat < 0.6 THEN 'malfunction' ELSE 'software_defect' END
            ELSE (ARRAY['installation', 'operation', 'malfunction', 'software_defect', 'other'])
                 [1 + floor(r_cat * 5)::int]
       END,
       CASE WHEN state = 'third_level' OR (was_escalated AND state IN ('resolved', 'closed') AND r_esc < 0.05) THEN 3
            WHEN was_escalated THEN 2 ELSE 1 END,
       state,
       created_at,
       least(now(), created_at + r_due * interval '3 days'),
       CASE WHEN was_escalated THEN escalated END,
       CASE WHEN state IN ('resolved', 'closed') THEN least(now(), created_at + r_due * interval '5 days') END,
       CASE WHEN state IN ('escalated', 'third_level', 'waiting_for_partner')
            THEN CASE WHEN r_cat < 0.3 THEN due ELSE escalated + interval '4 hours' END END,
       CASE WHEN state IN ('escalated', 'third_level', 'waiting_for_partner') AND r_cat >= 0.3
            THEN escalated + interval '1 hour' END,
       CASE WHEN state IN ('escalated', 'third_level', 'waiting_for_partner')
            THEN CASE WHEN r_cat < 0.3 THEN due + interval '5 days' ELSE due END END,
       CASE WHEN state = 'waiting_for_partner' THEN least(now(), escalated + interval '1 day') END,
       CASE WHEN state IN ('escalated', 'third_level') THEN due END,
       'partnerdesk Server',
       '5.' || (i %% 10),
       'Windows Server 2022, SQL Server 2019, ' || (2 + i %% 30) || ' workstations',
       'Since ' || to_char(created_at, 'YYYY-MM-DD') || ' the end customer reports: ' || md5(i::text) || ' '
           || md5((i + 1)::text) || '.'{extra_values}
FROM t
ORDER BY i
"""


def make_tickets(partner_ids: list[int], customer_ids: list[int], agent_ids: list[int]) -> None:
    from django.db import connection
    from django.utils import timezone

    from partnerdesk.tickets.models import Ticket

    extra_columns, extra_values = [], []
    for f in Ticket._meta.concrete_fields:
        if f.primary_key or f.column in TICKET_COLUMNS or f.null:
            continue
        if not (f.has_default() or f.empty_strings_allowed):
            raise BenchError(f"tickets_ticket.{f.column} is NOT NULL without a default: teach {__file__} to fill it")
        extra_columns.append(f.column)
        extra_values.append(f.get_db_prep_save(f.get_default(), connection))
    quote = connection.ops.quote_name
    statement = TICKETS_SQL.format(
        columns=", ".join(quote(c) for c in [*TICKET_COLUMNS, *extra_columns]),
        extra_values="".join(f", %(extra{n})s" for n in range(len(extra_values))),
    )
    span = timedelta(days=730)
    params: dict[str, Any] = {
        "partners": PARTNERS,
        "customers": CUSTOMERS_PER_PARTNER,
        "tickets": TICKETS,
        "start": timezone.now() - span,
        "step": span / TICKETS,
        "partner_ids": partner_ids,
        "customer_ids": customer_ids,
        "agent_ids": agent_ids,
        **{f"extra{n}": value for n, value in enumerate(extra_values)},
    }
    run_sql("SELECT setseed(%s)", [SEED])
    run_sql(statement, params)


def generate() -> dict[str, float]:
    """All bench data, in one transaction; secondary indexes are built after the load (faster)."""
    from django.db import connection, transaction

    timings: dict[str, float] = {}
    began = time.perf_counter()
    with transaction.atomic():
        run_sql("SET LOCAL synchronous_commit = off")
        run_sql("SET LOCAL maintenance_work_mem = '512MB'")
        remove_bench_data()
        partner_ids, customer_ids, agent_ids = make_parties()
        timings["parties (ORM bulk_create)"] = time.perf_counter() - began
    secondary = query_index_names() + fk_index_names()
    drop_indexes(secondary)
    step = time.perf_counter()
    try:
        with transaction.atomic():
            run_sql("SET LOCAL synchronous_commit = off")
            # The data is consistent by construction: skip the 4 million foreign-key trigger calls.
            superuser = run_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]
            if superuser:
                run_sql("SET LOCAL session_replication_role = replica")
            make_tickets(partner_ids, customer_ids, agent_ids)
        timings["1,000,000 tickets (INSERT ... SELECT generate_series)"] = time.perf_counter() - step
    finally:
        step = time.perf_counter()
        run_sql("SET maintenance_work_mem = '512MB'")
        restore_indexes()
        run_sql("RESET maintenance_work_mem")
    timings[f"{len(secondary)} secondary indexes (CREATE INDEX)"] = time.perf_counter() - step
    step = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run inside a transaction
        cursor.execute("VACUUM (ANALYZE) tickets_ticket")
        cursor.execute("ANALYZE accounts_partner, accounts_endcustomer, accounts_user")
    timings["VACUUM ANALYZE"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - began
    return timings


# --- requests ---------------------------------------------------------------------------------------


@dataclass
class Request:
    label: str
    who: str  # "l1" (a partner's first-level agent) or "l2" (the vendor's second-level agent)
    query: list[tuple[str, str]]
    with_indexes: list[float] = field(default_factory=list)
    cpu_with_indexes: list[float] = field(default_factory=list)
    without_indexes: list[float] = field(default_factory=list)
    count: int = 0
    plans: dict[str, list[str]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return "/api/v1/tickets" + ("?" + urlencode(self.query) if self.query else "")


QUEUE = [("state", "escalated"), ("state", "third_level"), ("ordering", "due")]
REQUESTS = [
    Request("partner list (newest first)", "l1", []),
    Request("partner list, escalated, by due", "l1", [("state", "escalated"), ("ordering", "due")]),
    Request("vendor queue, by due", "l2", QUEUE),
    Request("vendor queue, malfunction, by due", "l2", [*QUEUE, ("category", "malfunction")]),
    Request("vendor queue, level 3, by due", "l2", [*QUEUE, ("level", "3")]),
]


def percentile(samples: list[float], p: float) -> float:
    """Nearest rank: the smallest sample with at least p % of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def timed_requests(client: Any, request: Request, warm_up: int, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock milliseconds per request, and this process's CPU milliseconds (Django's own share)."""
    for _ in range(warm_up):
        check(client.get(request.path), request)
    wall, cpu = [], []
    gc.collect()
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(request.path)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        check(response, request)
    return wall, cpu


def check(response: Any, request: Request) -> None:
    if response.status_code != 200:
        raise BenchError(f"{request.path} answered {response.status_code}: {response.content[:300]!r}")
    body = response.json()
    if len(body["items"]) != min(50, body["count"]) or body["count"] == 0:
        raise BenchError(f"{request.path}: unexpected page ({len(body['items'])} items, count {body['count']})")
    request.count = body["count"]


def capture_sql(client: Any, request: Request) -> dict[str, str]:
    """The ticket queries one request runs: the page and the count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        check(client.get(request.path), request)
    found = {}
    for query in captured.captured_queries:
        sql = query["sql"]
        if '"tickets_ticket"' not in sql:
            continue
        found["count" if "COUNT(" in sql.upper() else "page"] = sql
    return found


def explain(sql: str) -> str:
    """One line: the plan's path down to the ticket scan, the indexes it uses, rows, buffers, time."""
    (document,) = run_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)[0]
    if isinstance(document, str):
        document = json.loads(document)
    root = document[0]["Plan"]

    def describe(node: dict[str, Any]) -> str:
        text = node["Node Type"]
        if node.get("Index Name"):
            text += f" using {node['Index Name']}"
        if node.get("Relation Name"):
            text += f" on {node['Relation Name']}"
        return text

    def path_to_tickets(node: dict[str, Any]) -> list[dict[str, Any]] | None:
        if node.get("Relation Name") == "tickets_ticket":
            return [node]
        for child in node.get("Plans", []):
            below = path_to_tickets(child)
            if below is not None:
                return [node, *below]
        return None

    def bitmap(node: dict[str, Any]) -> str:
        if node.get("Index Name"):
            return node["Index Name"]
        return "(" + f" {node['Node Type'].removeprefix('Bitmap')} ".join(bitmap(c) for c in node["Plans"]) + ")"

    chain = path_to_tickets(root) or [root]
    steps = [describe(n) for n in chain]
    if chain[-1]["Node Type"] == "Bitmap Heap Scan":  # its indexes are one level down, maybe ANDed or ORed
        steps[-1] += " via " + bitmap(chain[-1]["Plans"][0]).strip("()")
    workers = max((n.get("Workers Launched", 0) for n in chain), default=0)
    hit, read = root.get("Shared Hit Blocks", 0), root.get("Shared Read Blocks", 0)
    return (
        " > ".join(steps)
        + f" | rows {root.get('Actual Rows', 0):,}"
        + (f" | {workers} workers" if workers else "")
        + f" | buffers hit {hit:,} read {read:,} | execution {document[0]['Execution Time']:.2f} ms"
    )


def explain_all(client: Any, request: Request, key: str) -> None:
    request.plans[key] = [
        f"{name}: {explain(sql)}" for name, sql in sorted(capture_sql(client, request).items(), reverse=True)
    ]


# --- report -----------------------------------------------------------------------------------------


def stats(samples: list[float]) -> str:
    return f"{percentile(samples, 50):9.1f} {percentile(samples, 95):7.1f} {max(samples):7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="generate the data again even when it is complete")
    parser.add_argument("--repeat", type=int, default=200, help="timed requests each, with indexes")
    parser.add_argument("--repeat-slow", type=int, default=20, help="timed requests each, without indexes")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed requests each before timing")
    parser.add_argument(
        "--drop-fk-indexes",
        action="store_true",
        help="without indexes means also without Django's single-column foreign-key indexes",
    )
    parser.add_argument(
        "--any-database",
        action="store_true",
        help="allow a database whose name does not contain 'bench' (it gets migrated and filled)",
    )
    args = parser.parse_args()

    url = database_url()
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name and not args.any_database:
        raise BenchError(
            f"database {name!r} would be migrated and filled with 1,000,000 tickets: use a database of its own "
            "whose name contains 'bench' (default pd_bench), or pass --any-database"
        )
    ensure_database(url)
    setup_django(url)

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from partnerdesk.accounts.models import ApiToken, User
    from partnerdesk.accounts.services import create_api_token
    from partnerdesk.tickets.models import Ticket

    began = time.perf_counter()
    try:
        call_command("migrate", verbosity=0, interactive=False)
    except Exception as error:  # noqa: BLE001 (another app's migration must not stop a ticket benchmark)
        print(f"migrate failed ({type(error).__name__}: {str(error).splitlines()[0]}); migrating tickets and "
              "the apps it depends on only")  # fmt: skip
        call_command("migrate", "tickets", verbosity=0, interactive=False)
    restored = restore_indexes()
    if restored:
        print(f"recreated indexes left dropped by an interrupted run: {', '.join(restored)}")
    counts = bench_counts()
    if counts["other partners"]:
        raise BenchError(
            f"{connection.settings_dict['NAME']} holds {counts['other partners']} partners that are not bench data: "
            "point DATABASE_URL at a database of its own (default pd_bench)"
        )
    print(f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}, database "
          f"{connection.settings_dict['NAME']} on {connection.settings_dict['HOST']}; migrate "
          f"{time.perf_counter() - began:.1f} s")  # fmt: skip
    if args.rebuild or not data_is_complete(counts):
        print(f"generating data (found {counts}) ...")
        for step, seconds in generate().items():
            print(f"  {step:<55} {seconds:7.1f} s")
    else:
        step = time.perf_counter()
        run_sql("ANALYZE tickets_ticket")
        print(f"reusing the data ({counts['tickets']:,} tickets); ANALYZE {time.perf_counter() - step:.1f} s")

    (size,) = run_sql("SELECT pg_size_pretty(pg_table_size('tickets_ticket'))")[0]
    (index_size,) = run_sql("SELECT pg_size_pretty(pg_indexes_size('tickets_ticket'))")[0]
    mix = run_sql("SELECT state, count(*) FROM tickets_ticket GROUP BY state ORDER BY count(*) DESC")
    print(f"tickets_ticket: {size} table, {index_size} indexes; "
          + ", ".join(f"{state} {n / TICKETS:.0%}" for state, n in mix))  # fmt: skip

    # The partner with the most tickets (worst case of a nearly even spread) and the vendor's agent.
    partner_id = Ticket.objects.values("partner_id").order_by().annotate(n=Count("pk")).order_by("-n")[0]["partner_id"]
    l1 = User.objects.get(partner_id=partner_id, email__endswith="@" + EMAIL_DOMAIN)
    l2 = User.objects.get(email=f"l2@{EMAIL_DOMAIN}")
    tokens = []
    clients = {}
    for key, user in (("l1", l1), ("l2", l2)):
        token, raw = create_api_token(acting_user=user, name="bench_tickets")
        tokens.append(token.pk)
        clients[key] = Client(headers={"authorization": f"Bearer {raw}"})

    dropped: list[str] = []
    load_before = os.getloadavg()[0]
    measure_began = time.perf_counter()
    try:
        for request in REQUESTS:
            client = clients[request.who]
            request.with_indexes, request.cpu_with_indexes = timed_requests(client, request, args.warm_up, args.repeat)
            explain_all(client, request, "with")
        measured_with = time.perf_counter() - measure_began

        step = time.perf_counter()
        to_drop = query_index_names() + (fk_index_names() if args.drop_fk_indexes else [])
        dropped = drop_indexes(to_drop)
        for request in REQUESTS:
            client = clients[request.who]
            request.without_indexes, _ = timed_requests(client, request, 2, args.repeat_slow)
            explain_all(client, request, "without")
        measured_without = time.perf_counter() - step
    finally:
        step = time.perf_counter()
        recreated = restore_indexes()
        recreate_seconds = time.perf_counter() - step
        ApiToken.objects.filter(pk__in=tokens).delete()

    print()
    print(f"partner: {l1.partner} (id {partner_id}), agent {l1.email}; vendor agent {l2.email}")
    print(
        "through the API: Django test Client on the real URLconf and middleware, bearer token, first page (limit 50);"
        f" wall-clock ms; {args.repeat} timed requests each with indexes, {args.repeat_slow} without, after warm-up;"
        " cpu = this process's CPU ms per request (Django, ninja, psycopg; not PostgreSQL's)"
    )
    print("count: the API's bounded count (exact up to offset + 1,000; 1,001 means more)")
    print(f"dropped for 'without': {', '.join(dropped)} (kept: primary key"
          + ("" if args.drop_fk_indexes else ", Django's single-column foreign-key indexes")
          + ", and the planner's statistics)")  # fmt: skip
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
          "measuring (other processes share the CPUs and the PostgreSQL server)")  # fmt: skip
    print()
    header = (
        f"{'request':<34} {'count':>6} | {'with: p50':>9} {'p95':>7} {'max':>7} {'cpu p50':>7} | "
        f"{'without: p50':>12} {'p95':>7} {'max':>7} | {'p95 ratio':>9} | p95 < {TARGET_MS:.0f} ms"
    )
    print(header)
    print("-" * len(header))
    for r in REQUESTS:
        with_p95, without_p95 = percentile(r.with_indexes, 95), percentile(r.without_indexes, 95)
        verdict = "PASS" if with_p95 < TARGET_MS else "FAIL"
        print(
            f"{r.label:<34} {r.count:>6,} | {stats(r.with_indexes)} {percentile(r.cpu_with_indexes, 50):7.1f} |     "
            f"{stats(r.without_indexes)} | {without_p95 / with_p95:>8.1f}x | {verdict}"
        )
    print()
    for r in REQUESTS:
        print(f"{r.label}: GET {r.path} as {r.who.upper()}")
        for key in ("with", "without"):
            for line in r.plans.get(key, []):
                print(f"  {key + ' indexes':<16} {line}")
    print()
    print(
        f"measurement: with indexes {measured_with:.1f} s, without {measured_without:.1f} s, "
        f"recreating {len(recreated)} indexes {recreate_seconds:.1f} s; whole run {time.perf_counter() - began:.1f} s"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench_tickets: {error}", file=sys.stderr)
        sys.exit(2)
