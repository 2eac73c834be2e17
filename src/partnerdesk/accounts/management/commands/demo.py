"""`partnerdesk demo [--json]`: load (idempotently) a believable installation and print its logins."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from partnerdesk.accounts.demo import load_parties

# Each app that has demo data adds its loader here; each takes the DemoWorld and extends it.
DEMO_LOADERS: list[str] = [
    "partnerdesk.manual.demo.load_manual",
    "partnerdesk.contracts.demo.load_contracts",
    "partnerdesk.worklog.demo.load_work",
    "partnerdesk.tickets.demo.load_tickets",
    "partnerdesk.contact.demo.load_contact",
    "partnerdesk.channels.demo.load_inbound",
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the logins as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        world = load_parties()
        for path in DEMO_LOADERS:
            import_string(path)(world)
        logins = [asdict(login) for login in world.logins]
        if options["json"]:
            self.stdout.write(json.dumps(logins, ensure_ascii=False, indent=2))
            return
        self.stdout.write("Demo logins (http://127.0.0.1:8000/login/):")
        width = max(len(login["email"]) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {login['email']:<{width}}  {login['password']}  {login['role']:<14} {login['organisation']}"
            )
