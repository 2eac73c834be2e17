"""`partnerdesk audit verify [--partner ID]`: check every partner's audit-log hash chain (R9.4).

Exit code 0 when every chain holds; otherwise 1 and the first broken row of each broken chain.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.contact.audit import verify_all


class Command(BaseCommand):
    help = "Audit log: `verify` recomputes every partner's hash chain and names the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])
        parser.add_argument("--partner", type=int, action="append", help="Only this partner (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        count, breaks = verify_all(options["partner"])
        if breaks:
            for chain_break in breaks:
                self.stderr.write(f"BROKEN: {chain_break}")
            raise CommandError(
                f"audit log tampered with: {len(breaks)} chain(s) broken; first: {breaks[0]}", returncode=1
            )
        self.stdout.write(f"audit log intact: {count} entries checked.")
