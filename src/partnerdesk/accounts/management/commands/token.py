"""`partnerdesk token create EMAIL [--name NAME]`: print a new personal API token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.accounts import services
from partnerdesk.accounts.models import User


class Command(BaseCommand):
    help = "Manage personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for a user and print it.")
        create.add_argument("email")
        create.add_argument("--name", default="command line")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            try:
                user = User.objects.get_by_natural_key(options["email"])
            except User.DoesNotExist:
                raise CommandError(f"No user with e-mail {options['email']!r}.") from None
            if not user.is_active:
                raise CommandError(f"User {user.email} is disabled.")
            _, raw = services.create_api_token(acting_user=user, name=options["name"])
            self.stdout.write(raw)
