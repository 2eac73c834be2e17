"""`partnerdesk billing run --period 2026-11 [--dry-run] [--partner ID]`: the billing run on the command line."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.accounts.models import Partner
from partnerdesk.billing import services
from partnerdesk.billing.models import BillingRun, Invoice
from partnerdesk.billing.periods import parse_period
from partnerdesk.contracts import pricing


class Command(BaseCommand):
    help = "Invoicing: run the billing of a period (one invoice per partner with anything to bill)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="Bill a period; rerunnable, never bills twice.")
        run.add_argument("--period", required=True, help="The month, YYYY-MM.")
        run.add_argument("--dry-run", action="store_true", help="Show what would be issued; issue nothing.")
        run.add_argument(
            "--partner", type=int, help="Bill only this partner (id): a corrected invoice after a cancellation."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        period = parse_period(options["period"])
        if period is None:
            raise CommandError("--period: enter a month as YYYY-MM, for example 2026-11.")
        try:
            services._period_or_error(options["period"])
        except ValidationError as error:
            raise CommandError(f"--period: {error.messages[0]}") from error
        partner = None
        if options["partner"] is not None:
            partner = Partner.objects.filter(pk=options["partner"]).first()
            if partner is None:
                raise CommandError(f"--partner: no partner with id {options['partner']}.")
        run = BillingRun.objects.create(
            period=period.key,
            period_start=period.start,
            period_end=period.end,
            dry_run=options["dry_run"],
            partner=partner,
        )

        def progress(run: BillingRun, partner_id: int | None, invoice: Invoice | None) -> None:
            run.refresh_from_db(fields=["partners_done", "partners_total"])
            what = f"{invoice.number} {pricing.money(invoice.gross_cents)} {invoice.currency}" if invoice else "-"
            self.stdout.write(f"[{run.partners_done}/{run.partners_total}] partner {partner_id}: {what}")

        run = services.execute_billing_run(run, progress=progress)
        if run.dry_run:
            for item in run.preview:
                self.stdout.write(f"would issue: {item['partner']} {item['gross_total']} EUR")
                for line in item["lines"]:
                    self.stdout.write(
                        f"    {line['quantity']} x {line['unit_price']} = {line['net']}  {line['description']}"
                    )
        for item in run.held_back:
            self.stdout.write(f"held back: {item['partner']} (XRechnung lacks {', '.join(item['labels'])})")
        self.stdout.write(f"run {run.pk} {run.state}: {run.invoices_issued} invoices issued")
        if run.state != "done":
            raise CommandError(run.error or "the billing run failed")
