"""Row locks of invoicing, last in the one order: contract, term, entries, then invoice rows.

The number counter of a series is locked while an invoice is issued, so two issuing transactions
never take the same number and a rolled-back one leaves no gap (R10.2).
"""

from __future__ import annotations

from django.db import transaction

from .models import Invoice, InvoiceCounter


def lock_counter(series: str) -> InvoiceCounter:
    """Lock (creating it first if needed) the counter of a series. Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_counter needs a transaction")
    InvoiceCounter.objects.get_or_create(series=series)
    return InvoiceCounter.objects.select_for_update(of=("self",)).get(series=series)


def lock_invoice(invoice_id: int) -> Invoice:
    """Lock and re-read an invoice (a cancellation reads its state under this lock)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_invoice needs a transaction")
    return Invoice.objects.select_for_update(of=("self",)).get(pk=invoice_id)
