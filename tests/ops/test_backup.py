"""Issue 17 item 5 (R13.2, R10.3, R9.4): `partnerdesk backup` and `partnerdesk restore` round trips on SQLite and
PostgreSQL, compared table by table, with the audit chains verifying and every invoice number intact."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from partnerdesk.billing.models import Invoice, InvoiceFile
from partnerdesk.contact.audit import verify_all
from partnerdesk.contact.models import AuditEntry
from tests.billing.conftest import last_month, run_period

SRC = Path(__file__).resolve().parents[2] / "src"


def _tables() -> list[str]:
    existing = set(connection.introspection.table_names())
    return sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)} & existing)


def _rows(cursor, table: str) -> list[tuple]:
    cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 - our own table names
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]


def _world(tmp_path: Path) -> Path:
    """The demo installation, a billing run with its invoice documents, and an uploaded file."""
    from partnerdesk.billing.models import BillingSettings

    call_command("demo", stdout=StringIO())
    seller = BillingSettings.current()
    seller.name, seller.street, seller.postal_code, seller.city = "TUXGUARD GmbH", "Hafenstraße 1", "20457", "Hamburg"
    seller.vat_id, seller.iban, seller.bic, seller.bank_name = (
        "DE136695976",
        "DE02120300000000202051",
        "BYLADEM1001",
        "DKB",
    )
    seller.save()
    run_period(last_month())
    call_command("worker", "--once", stdout=StringIO())  # renders the invoice documents
    media = tmp_path / "media"
    (media / "attachments" / "1").mkdir(parents=True)
    (media / "attachments" / "1" / "log.txt").write_bytes(b"kernel: eth0 link down\n")
    return media


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "partnerdesk", *args],
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "PYTHONPATH": str(SRC), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _check_source(tmp_path: Path) -> tuple[list[str], int]:
    invoices = list(Invoice.objects.order_by("number").values_list("number", flat=True))
    assert invoices, "the billing run issued no invoice"
    assert InvoiceFile.objects.exists(), "no invoice document was rendered"
    assert AuditEntry.objects.exists(), "the demo wrote no audit entries"
    assert verify_all(None)[1] == []
    return invoices, AuditEntry.objects.count()


def _compare(target_cursor) -> None:
    with connection.cursor() as source:
        for table in _tables():
            assert _rows(target_cursor, table) == _rows(source, table), table


@pytest.mark.django_db(transaction=True)
def test_r13_2_backup_and_restore_on_sqlite_table_by_table(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip(f"the SQLite round trip (this run uses {connection.vendor})")
    media = _world(tmp_path)
    invoices, _entries = _check_source(tmp_path)
    with override_settings(MEDIA_ROOT=str(media)):
        call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["engine"] == "sqlite" and "attachments/1/log.txt" in manifest["media"]
    target = tmp_path / "restored"
    env = {"PARTNERDESK_DATA_DIR": str(target), "SECRET_KEY": "restore-test"}
    restored = _run(["restore", str(tmp_path / "backup"), "--yes"], env)
    assert restored.returncode == 0, restored.stderr
    assert "audit log verified" in restored.stdout
    verified = _run(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert (target / "media" / "attachments" / "1" / "log.txt").read_bytes() == b"kernel: eth0 link down\n"
    db = sqlite3.connect(target / "partnerdesk.sqlite3", detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
    try:
        _compare(db.cursor())
        numbers = [r[0] for r in db.execute('SELECT number FROM "billing_invoice" ORDER BY number')]
    finally:
        db.close()
    assert numbers == invoices


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r13_2_backup_and_restore_on_postgresql_table_by_table(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(f"the PostgreSQL round trip (this run uses {connection.vendor})")
    import psycopg

    media = _world(tmp_path)
    invoices, _entries = _check_source(tmp_path)
    with override_settings(MEDIA_ROOT=str(media)):
        call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    assert (tmp_path / "backup" / "database.dump").read_bytes()[:5] == b"PGDMP"  # custom format
    db = connection.settings_dict
    admin_url = f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    name = f"pd_ops_restore_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {
            "DATABASE_URL": admin_url.rsplit("/", 1)[0] + f"/{name}",
            "PARTNERDESK_DATA_DIR": str(tmp_path / "restored"),
            "SECRET_KEY": "restore-test",
        }
        restored = _run(["restore", str(tmp_path / "backup"), "--yes"], env)
        assert restored.returncode == 0, restored.stderr
        verified = _run(["audit", "verify"], env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert (tmp_path / "restored" / "media" / "attachments" / "1" / "log.txt").exists()
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as target:
            from psycopg.types.string import TextLoader

            for json_type in ("json", "jsonb"):  # as Django's connection reads them: text
                target.adapters.register_loader(json_type, TextLoader)
            with target.cursor() as cursor:
                _compare(cursor)
                cursor.execute('SELECT number FROM "billing_invoice" ORDER BY number')
                assert [r[0] for r in cursor.fetchall()] == invoices
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_r13_2_restore_refuses_a_backup_of_another_engine_or_a_damaged_file(tmp_path):
    from partnerdesk.ops.backup import BackupError, restore

    folder = tmp_path / "b"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "a.txt").write_bytes(b"changed")
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    (folder / "manifest.json").write_text(json.dumps({"engine": other, "media": {}}))
    with pytest.raises(BackupError, match="this installation runs"):
        restore(folder)
    (folder / "manifest.json").write_text(json.dumps({"engine": connection.vendor, "media": {"a.txt": "0" * 64}}))
    with pytest.raises(BackupError, match="checksum"):
        restore(folder)
