"""R4.8 on PostgreSQL: parallel writers in real OS processes against one contract.

How the code prevents the race: every booking runs in one transaction that first takes
``SELECT ... FOR UPDATE`` on the contract row, then on the term (ledger) row (contracts/locks.py, one
fixed order, so no deadlock). A second booking on the same contract waits for the first to commit and
then reads its result (READ COMMITTED), so two bookings can never both spend the same last included
units. The CHECK constraint ``included_units_used <= included_units_granted`` is the backstop.
No lock is mocked: eight processes with their own connections hammer the real test database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from partnerdesk.accounts.choices import Role
from partnerdesk.contracts import pricing
from partnerdesk.contracts.models import QuotaNotification
from partnerdesk.worklog import selectors as worklog_selectors
from partnerdesk.worklog import services as worklog_services
from partnerdesk.worklog.models import TimeEntry
from tests.factories import EndCustomerFactory, PartnerFactory, vendor_user

from .conftest import ago, escalated_ticket, make_contract

PROCESSES = 8
ENTRIES = 2_000
ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    db = settings.DATABASES["default"]  # pytest-django has pointed NAME at the test database
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    # synchronous_commit=off only for the workers: the test measures locking, not the disk's fsync;
    # locks, visibility and constraints are exactly as in production.
    options = "?options=" + quote("-c synchronous_commit=off")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}{options}"


class _World:
    def __init__(self, users: dict[str, object]) -> None:
        self.users = users

    def user(self, role: str) -> object:
        return self.users[role]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r4_8_parallel_bookings_never_over_use_and_lose_nothing():
    if connection.vendor != "postgresql":
        pytest.skip(
            "R4.8 concurrency needs PostgreSQL row locks; run with DATABASE_URL=postgres://... "
            f"(this run uses {connection.vendor})"
        )
    partner = PartnerFactory(name="Concurrency GmbH")
    EndCustomerFactory(partner=partner, number=1)
    world = _World({Role.SALES: vendor_user(Role.SALES, email="sales@c.example")})
    contract = make_contract(world, "L", partner=partner)  # type: ignore[arg-type]
    agents = [vendor_user(Role.L2_AGENT, email=f"agent{i}@c.example") for i in range(PROCESSES)]
    tickets = [escalated_ticket(contract, subject=f"ticket {i}") for i in range(PROCESSES)]
    # Little included time left: 28 of 32 units are used before the race starts.
    worklog_services.book_time_entry(
        acting_user=agents[0], ticket=tickets[0], started_at=ago(hours=12), minutes=420, activity="analysis"
    )

    env = {
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "partnerdesk.settings",
        "PATH": "/usr/bin:/bin",
        "PARTNERDESK_DATA_DIR": str(ROOT / "var"),
        "CONN_MAX_AGE": "0",
    }
    ticket_ids = ",".join(str(t.pk) for t in tickets)
    workers = [
        subprocess.Popen(  # noqa: S603 - our own worker module with fixed arguments
            [
                sys.executable,
                "-m",
                "tests.contracts.booking_worker",
                str(agent.pk),
                ticket_ids,
                str(ENTRIES // PROCESSES),
                str(seed),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed, agent in enumerate(agents)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line.strip() == "ready", worker.stderr.read() if worker.stderr else line
        started = time.monotonic()
        for worker in workers:  # all at once
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    booked = [pk for result in results for pk in result["booked"]]
    assert [r["refused"] for r in results] == [[]] * PROCESSES
    # Nothing lost, nothing doubled: every booking a worker saw succeed is in the database, once.
    assert len(booked) == len(set(booked)) == ENTRIES
    assert TimeEntry.objects.filter(pk__in=booked).count() == ENTRIES
    term = contract.terms.get()
    # No over-use, and the ledger invariant: used + extra = the sum of rounded billable units.
    assert term.included_units_used == term.included_units_granted == 32
    assert worklog_selectors.ledger_discrepancies(contract) == []
    totals = TimeEntry.objects.filter(contract=contract).aggregate(
        units=Sum("units"), included=Sum("included_units"), extra=Sum("extra_units"), amount=Sum("amount_cents")
    )
    assert totals["included"] == 32 and totals["units"] == totals["included"] + totals["extra"]
    assert totals["amount"] == totals["extra"] * 2225 == term.extra_amount_cents
    minutes = sum(r["minutes"] for r in results) + 420
    assert TimeEntry.objects.filter(contract=contract).aggregate(m=Sum("minutes"))["m"] == minutes
    # Exactly one entry crossed the end of the included time and was split (R4.3).
    split = TimeEntry.objects.filter(contract=contract, included_units__gt=0, extra_units__gt=0)
    assert split.count() <= 1
    assert [e.units for e in TimeEntry.objects.filter(pk__in=booked)] == [
        pricing.units_for(m) for m in TimeEntry.objects.filter(pk__in=booked).values_list("minutes", flat=True)
    ]
    # Each threshold was recorded once, however many writers crossed it at the same moment (R4.9).
    assert sorted(QuotaNotification.objects.filter(term=term).values_list("threshold", flat=True)) == [75, 100]
    print(f"\n{ENTRIES} bookings by {PROCESSES} processes in {elapsed:.1f} s")
