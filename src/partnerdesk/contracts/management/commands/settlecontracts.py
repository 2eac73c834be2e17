"""`partnerdesk settlecontracts`: end cancelled contracts past their last day and renew running ones
(one new term each, fee recorded for billing). Idempotent; run it daily (the billing run calls it too)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from partnerdesk.contracts.services import settle_contracts


class Command(BaseCommand):
    help = "End cancelled contracts past their last day and create the terms of renewed contracts."

    def handle(self, *args: Any, **options: Any) -> None:
        report = settle_contracts()
        self.stdout.write(f"{len(report.ended)} contract(s) ended, {report.terms_created} term(s) created.")
