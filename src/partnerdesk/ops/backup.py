"""Backup and restore (issue 17 item 5, R13.2): the database, the attachments, and a manifest to check against.

A backup is a folder:

- `database.dump`: PostgreSQL's custom format (`pg_dump -Fc`), restored with `pg_restore`; or
  `database.sqlite3`: a copy made with SQLite's online backup API (consistent while the server writes);
- `media/`: the uploaded files (ticket attachments, brand logos) of MEDIA_ROOT. Invoice documents
  (billing.InvoiceFile) and mail originals (channels.InboundMail) are rows, so they are in the database;
- `manifest.json`: when, from which engine, the last migration of each app, the rows of each table, the highest
  invoice number, and every media file's SHA-256, so a restore can prove it is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = 1


class BackupError(Exception):
    pass


def _pg_env_and_args() -> tuple[dict[str, str], list[str], str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["-h", str(db.get("HOST") or "127.0.0.1"), "-p", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return env, args, str(db["NAME"])


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[:2000]}")


def table_counts() -> dict[str, int]:
    """Rows of each table of the installed models (the manifest's and the restore check's figure)."""
    counts: dict[str, int] = {}
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in tables and table not in counts:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                counts[table] = cursor.fetchone()[0]
    return dict(sorted(counts.items()))


def _migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): _sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _invoice_numbers() -> dict[str, Any]:
    from partnerdesk.billing.models import Invoice

    numbers = list(Invoice.objects.order_by("number").values_list("number", flat=True))
    return {"count": len(numbers), "digest": hashlib.sha256("\n".join(map(str, numbers)).encode()).hexdigest()}


def backup(dest: Path) -> dict[str, Any]:
    """Write a backup of this installation into the new or empty folder `dest`; returns the manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    # The figures first: whatever is written after them is in the dump too, never less than counted.
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "engine": vendor,
        "migrations": _migrations(),
        "tables": table_counts(),
        "invoices": _invoice_numbers(),
    }
    if vendor == "postgresql":
        env, args, name = _pg_env_and_args()
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                *args,
                "-f",
                str(dest / "database.dump"),
                name,
            ],
            env,
        )
        manifest["database"] = "database.dump"
    elif vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(dest / "database.sqlite3")
        try:
            connection.connection.backup(target)  # online: pages copied under SQLite's own locking
        finally:
            target.close()
        manifest["database"] = "database.sqlite3"
    else:
        raise BackupError(f"no backup for the {vendor} engine")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.exists():
        shutil.copytree(media_root, dest / "media", dirs_exist_ok=True)
    manifest["media"] = _media_files(dest / "media")
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return manifest


def restore(src: Path) -> dict[str, Any]:
    """Replace this installation's database and media with the backup in `src`; returns the manifest.

    The backup's engine must be the configured one. Afterwards the tables are checked against the manifest's
    row counts (at least as many: a backup taken while the server ran may hold rows written after counting).
    """
    src = Path(src)
    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    vendor = connection.vendor
    if manifest["engine"] != vendor:
        raise BackupError(f"the backup is of {manifest['engine']}, this installation runs {vendor}")
    for rel, digest in manifest.get("media", {}).items():
        if _sha256(src / "media" / rel) != digest:
            raise BackupError(f"media file {rel} does not match its checksum")
    if vendor == "postgresql":
        env, args, name = _pg_env_and_args()
        connection.close()
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                *args,
                "-d",
                name,
                str(src / manifest["database"]),
            ],
            env,
        )
    else:
        connection.ensure_connection()
        source = sqlite3.connect(src / manifest["database"])
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    media_root = Path(settings.MEDIA_ROOT)
    if (src / "media").exists():
        media_root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src / "media", media_root, dirs_exist_ok=True)
    counts = table_counts()
    short = {t: (n, counts.get(t, 0)) for t, n in manifest["tables"].items() if counts.get(t, 0) < n}
    if short:
        raise BackupError(f"tables with fewer rows than backed up: {short}")
    if _invoice_numbers()["count"] < manifest["invoices"]["count"]:
        raise BackupError("invoices are missing after the restore")
    return manifest
