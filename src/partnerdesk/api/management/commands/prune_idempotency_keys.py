"""`partnerdesk prune_idempotency_keys`: delete Idempotency-Key records older than the TTL (R13.3)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from partnerdesk.api.idempotency import prune_expired


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than PARTNERDESK_IDEMPOTENCY_TTL_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{prune_expired()} expired idempotency records deleted.")
