"""The only functions that change a term's included-time ledger (R3.2, R4.3, R4.8, R4.9).

Callers hold the locks of ``locks`` (contract, then term). A charge moves units from *left* to
*used* or *extra*; giving one back reverses exactly what it took. Thresholds of included time
reached by a charge are recorded once per term and published as events; the notices to partner admins
and Sales are the events' subscriber's (`channels.notifications`), written in the booking's transaction.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

from partnerdesk.outbox import events

from . import pricing
from .models import ContractTerm, QuotaNotification

LEDGER_FIELDS = ["included_units_used", "extra_units", "charged_units", "extra_amount_cents"]


class Charge(Protocol):
    """What a charge (or a booked entry) holds of the ledger: ``pricing.EntryCharge`` or a time entry."""

    @property
    def included_units(self) -> int: ...
    @property
    def extra_units(self) -> int: ...
    @property
    def charged_units(self) -> int: ...
    @property
    def amount_cents(self) -> int: ...


def take(term: ContractTerm, charge: Charge) -> None:
    """Book a charge onto the term and save it; record the quota thresholds it reached (R4.9)."""
    used_before = term.included_units_used
    term.included_units_used += charge.included_units
    term.extra_units += charge.extra_units
    term.charged_units += charge.charged_units
    term.extra_amount_cents += charge.amount_cents
    term.save(update_fields=LEDGER_FIELDS)
    _record_thresholds(term, used_before)


def give_back(term: ContractTerm, charge: Charge) -> None:
    """Return what a charge took from the term (non-billable, corrected or deleted entry) and save it."""
    term.included_units_used -= charge.included_units
    term.extra_units -= charge.extra_units
    term.charged_units -= charge.charged_units
    term.extra_amount_cents -= charge.amount_cents
    term.save(update_fields=LEDGER_FIELDS)


# --- quota notifications (R4.9) -----------------------------------------------------------------


def _record_thresholds(term: ContractTerm, used_before: int) -> None:
    reached = pricing.thresholds_reached(
        term.included_units_granted, used_before, term.included_units_used, settings.PARTNERDESK_QUOTA_THRESHOLDS
    )
    created = []
    for threshold in reached:
        if QuotaNotification.objects.filter(term=term, threshold=threshold).exists():
            continue
        created.append(
            QuotaNotification.objects.create(
                contract_id=term.contract_id,
                term=term,
                threshold=threshold,
                included_units_used=term.included_units_used,
                included_units_granted=term.included_units_granted,
            )
        )
    for notification in created:
        events.publish(
            events.CONTRACT_QUOTA_THRESHOLD,
            partner_id=notification.contract.partner_id,
            data={
                "contract": notification.contract_id,
                "term": term.pk,
                "threshold": notification.threshold,
                "included_minutes_used": term.included_units_used * term.unit_minutes,
                "included_minutes_granted": term.included_units_granted * term.unit_minutes,
            },
        )
