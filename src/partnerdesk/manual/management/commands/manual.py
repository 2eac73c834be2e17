"""`partnerdesk manual import DIR`: load the manual from Markdown files with front matter (R8.1).

Each file: front matter with number, title, language (de/en), product, versions (e.g. "4.0-4.2",
"4.1+", "" for all) and optionally status (published by default, or draft), then the Markdown. A
section is known by product, language, number and versions: a second import updates it, never doubles it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.manual import services


class Command(BaseCommand):
    help = "The operations and installation manual: import sections from Markdown files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="Import every *.md below DIR; rerunnable (updates, never doubles).")
        load.add_argument("directory", metavar="DIR")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = services.import_directory(Path(options["directory"]))
        except ValidationError as error:
            raise CommandError(error.messages[0]) from error
        for name in result.errors:
            self.stderr.write(f"error: {name}")
        self.stdout.write(
            f"{len(result.created)} created, {len(result.updated)} updated, {len(result.unchanged)} unchanged, "
            f"{len(result.errors)} refused"
        )
        if result.errors:
            raise CommandError(f"{len(result.errors)} file(s) refused")
