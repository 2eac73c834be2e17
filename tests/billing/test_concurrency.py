"""PostgreSQL: parallel billing runs in real processes, and a run killed with SIGKILL mid-way (R10.2, R10.4, R13.2).

Each partner's invoice is issued in one transaction that locks the partner's contracts first and the
series' counter last, so parallel runs wait for each other per partner, a number is taken only by a
transaction that commits, and a killed run leaves each partner fully invoiced or not at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from partnerdesk.billing.models import BilledItem, BillingSettings, Invoice
from tests.contracts.test_concurrency import _test_database_url

from .conftest import contract_from, last_month, new_partner, run_period, ticket_of, work

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and real processes; run with DATABASE_URL=postgres://...")


def _billing_run(period: str, batch: int = 1) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "partnerdesk", "billing", "run", "--period", period],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "DATABASE_URL": _test_database_url(),
            "SECRET_KEY": "billing-concurrency",
            "PARTNERDESK_BILLING_BATCH_PARTNERS": str(batch),  # small batches: the kill lands mid-run
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _world_of_partners(world, count: int) -> dict[int, str]:
    """``count`` partners with an M contract and extra work in last month; their expected net totals."""
    BillingSettings.current()
    period = last_month()
    expected = {}
    for i in range(count):
        partner = new_partner(f"Parallel {i:02d}")
        contract = contract_from(world, "M", partner, period.start)
        work(world, ticket_of(contract), 240 + 15 * (i % 5 + 1), period.start + timedelta(days=2))
        expected[partner.pk] = str(Decimal("499.00") + (i % 5 + 1) * Decimal("24.75"))  # 16 included, rest extra
    return expected


def _invoiced() -> dict[int, str]:
    return {inv.partner_id: str(inv.net_total) for inv in Invoice.objects.all()}


def test_r10_2_parallel_runs_issue_each_invoice_once_with_unique_gapless_numbers(world):
    _needs_postgres()
    expected = _world_of_partners(world, 12)
    processes = [_billing_run(last_month().key) for _ in range(4)]
    for process in processes:
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err.decode()[-2000:]
    invoices = list(Invoice.objects.order_by("sequence"))
    assert [inv.sequence for inv in invoices] == list(range(1, 13))
    assert len({inv.partner_id for inv in invoices}) == 12
    assert _invoiced() == expected
    assert BilledItem.objects.filter(time_entry__isnull=False).count() == 12


def test_r10_4_run_killed_mid_way_then_rerun_gives_the_uninterrupted_invoices(world):
    _needs_postgres()
    expected = _world_of_partners(world, 40)
    process = _billing_run(last_month().key)
    deadline = time.monotonic() + 120
    while Invoice.objects.count() < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    killed_at = Invoice.objects.count()
    assert 1 <= killed_at < 40, "the run was not killed mid-way; make the world bigger"
    rerun = run_period(last_month())
    assert rerun.state == "done"
    invoices = list(Invoice.objects.order_by("sequence"))
    assert [inv.sequence for inv in invoices] == list(range(1, 41))
    assert _invoiced() == expected
    for invoice in invoices:  # no half invoice: every invoice has its fee and its extra line
        assert invoice.lines.count() == 3 and sum(x.net_cents for x in invoice.lines.all()) == invoice.net_cents
