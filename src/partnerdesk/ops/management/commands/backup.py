"""`partnerdesk backup DEST`: database (pg_dump or SQLite's online backup), attachments and a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into the new or empty folder DEST."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["dest"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"backed up {manifest['engine']}: {len(manifest['tables'])} tables, {rows} rows, "
            f"{manifest['invoices']['count']} invoices, {len(manifest['media'])} files -> {options['dest']}"
        )
