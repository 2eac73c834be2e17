"""Row locks of time entries. Every lock of the worklog goes through here, after the contract's and
the term's (``contracts.locks``): contract, term, entries, invoice (the one order across apps).
"""

from __future__ import annotations

from django.db import transaction

from .models import TimeEntry


def lock_entry(entry_id: int) -> TimeEntry:
    """Lock and re-read one entry (the caller holds its contract's and term's locks)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_entry needs a transaction")
    return TimeEntry.objects.select_for_update(of=("self",)).get(pk=entry_id)
