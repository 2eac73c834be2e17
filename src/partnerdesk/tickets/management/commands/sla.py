"""`partnerdesk sla notify`: announce service-level breach risks (R6.3); run it every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partnerdesk.tickets.services import notify_breach_risks


class Command(BaseCommand):
    help = "Service-level clocks: notify support staff of tickets near or past their due time."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("notify", help="Send breach-risk notices (each once).")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        made = notify_breach_risks()
        self.stdout.write(f"{made} breach-risk notice(s) sent.")
