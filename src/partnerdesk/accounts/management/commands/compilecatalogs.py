"""Compile the German and English message catalogs (.po -> .mo) without GNU gettext.

The .mo files are build output: made at install time, never committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the project's .po message catalogs to .mo (pure Python)."

    def handle(self, *args: Any, **options: Any) -> None:
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                if options["verbosity"] > 0:
                    self.stdout.write(f"compiled {mo_path}")
