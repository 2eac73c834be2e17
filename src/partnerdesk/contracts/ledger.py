"""The only functions that change a term's included-time ledger (R3.2, R4.3, R4.8, R4.9).

Callers hold the locks of ``locks`` (contract, then term). A charge moves units from *left* to
*used* or *extra*; giving one back reverses exactly what it took. Thresholds of included time
reached by a charge are recorded once per term and mailed after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import OrganisationKind, Role
from partnerdesk.accounts.models import User
from partnerdesk.outbox import events

from . import mail, pricing
from .models import Contract, ContractTerm, QuotaNotification

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
    if created:
        enqueue_quota_mails([n.pk for n in created])


def _hours(units: int, unit_minutes: int) -> str:
    minutes = units * unit_minutes
    return f"{minutes // 60}:{minutes % 60:02d}"


def enqueue_quota_mails(notification_ids: Sequence[int]) -> None:
    """Tell the partner's admins and the vendor's Sales, each in their language (R4.9): outbox rows written
    in the booking's transaction, so a rolled-back booking mails nobody."""
    notifications = QuotaNotification.objects.filter(pk__in=notification_ids).select_related(
        "contract__partner", "contract__plan", "term"
    )
    messages = []
    for notification in notifications:
        contract: Contract = notification.contract
        term = notification.term
        recipients = list(User.objects.filter(partner=contract.partner, role=Role.PARTNER_ADMIN, is_active=True))
        recipients += list(User.objects.filter(organisation=OrganisationKind.VENDOR, role=Role.SALES, is_active=True))
        addresses: list[tuple[str, str]] = [(u.email, u.language) for u in recipients]
        if not any(u.role == Role.SALES for u in recipients):
            addresses.append((settings.PARTNERDESK_SALES_EMAIL, ""))
        for address, language in addresses:
            with translation.override(language or settings.LANGUAGE_CODE):
                values = {
                    "percent": notification.threshold,
                    "contract": contract.label,
                    "partner": contract.partner.name,
                    "used": _hours(notification.included_units_used, term.unit_minutes),
                    "granted": _hours(notification.included_units_granted, term.unit_minutes),
                    "start": term.start_date.isoformat(),
                    "end": term.end_date.isoformat() if term.end_date else "",
                }
                subject = _("%(partner)s: %(percent)s%% of the included time of contract %(contract)s used") % values
                body = (
                    _(
                        "Contract %(contract)s of %(partner)s has used %(used)s of its %(granted)s included hours "
                        "in the term %(start)s to %(end)s (%(percent)s%%).\n\n"
                        "Further time in this term is billed at the contract's rates."
                    )
                    % values
                )
            messages.append(
                (
                    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]),
                    f"contracts.QuotaNotification:{notification.pk}",
                )
            )
    if messages:
        mail.enqueue_mails("quota_notice", messages)
