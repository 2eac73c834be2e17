"""`partnerdesk restore SRC`: replace the database and the uploaded files with a backup, then check it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.contact.audit import verify_all
from partnerdesk.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup folder made by `partnerdesk backup` (replaces the database), then verify the audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing the database")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"] and options.get("interactive", True):
            answer = input("This replaces the whole database and the uploaded files. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("not restored")
        try:
            manifest = restore(options["src"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        count, breaks = verify_all(None)
        if breaks:
            raise CommandError(f"restored, but the audit log does not verify: {breaks[0]}")
        self.stdout.write(
            f"restored {manifest['engine']} backup of {manifest['created_at']}: "
            f"{manifest['invoices']['count']} invoices, {len(manifest['media'])} files; "
            f"audit log verified ({count} entries)"
        )
