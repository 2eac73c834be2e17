"""Every write to time entries: booking, correction, deletion and the billable flag (R4.1-R4.8).

Each runs in one transaction, locks in the one order (contract, term, entry: ``contracts.locks``,
then ``locks``), changes the ledger only through ``contracts.ledger`` and writes its history row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.accounts.validation import FieldErrors, add_error, choose_one_of, is_int
from partnerdesk.contracts import ledger, pricing
from partnerdesk.contracts import locks as contract_locks
from partnerdesk.contracts.choices import ContractState
from partnerdesk.contracts.models import Contract, ContractTerm
from partnerdesk.tickets.models import Ticket

from . import locks, selectors
from .choices import (
    BILLABILITY_ROLES,
    MAX_ENTRY_MINUTES,
    MAX_ENTRY_TEXT,
    MAX_START_YEARS_BACK,
    START_CLOCK_TOLERANCE,
    TIME_BOOKING_ROLES,
    Activity,
    TimeEntryEventKind,
)
from .models import TimeEntry, TimeEntryEvent


def _validate_entry_input(
    *, minutes: Any, started_at: Any, activity: Any, text: Any, billable: Any, errors: FieldErrors
) -> None:
    if not is_int(minutes):
        add_error(errors, "minutes", _("Enter a whole number."))
    elif not 1 <= minutes <= MAX_ENTRY_MINUTES:
        add_error(errors, "minutes", _("Enter between 1 and %(max)s minutes (24 hours).") % {"max": MAX_ENTRY_MINUTES})
    if not isinstance(started_at, datetime) or timezone.is_naive(started_at):
        add_error(errors, "started_at", _("Enter a date and time as ISO 8601 with a time zone."))
    elif started_at > timezone.now() + START_CLOCK_TOLERANCE:
        add_error(errors, "started_at", _("Work cannot start in the future."))
    elif started_at < timezone.now() - timedelta(days=366 * MAX_START_YEARS_BACK):
        add_error(
            errors,
            "started_at",
            _("Work cannot start more than %(years)s years ago.") % {"years": MAX_START_YEARS_BACK},
        )
    if activity not in Activity.values:
        add_error(errors, "activity", choose_one_of(Activity.values))
    if not isinstance(text, str):
        add_error(errors, "text", _("Enter text."))
    elif len(text) > MAX_ENTRY_TEXT:
        add_error(errors, "text", _("Use at most %(max)s characters.") % {"max": MAX_ENTRY_TEXT})
    if not isinstance(billable, bool):
        add_error(errors, "billable", _("Enter true or false."))


def _check_contract_takes_work(contract: Contract, ticket: Ticket, day: date) -> None:
    if contract.partner_id != ticket.partner_id:
        # Never charge one partner's work to another partner's contract (R1.1).
        raise ValidationError({"ticket_id": _("The ticket's contract belongs to another partner.")})
    if contract.state_on(timezone.localdate()) == ContractState.ENDED:
        raise ValidationError({"ticket_id": _("The ticket's contract has ended; no more time can be charged to it.")})
    if contract.state == ContractState.DRAFT:
        raise ValidationError({"ticket_id": _("The ticket's contract is not active yet.")})
    if not contract.runs_on(day):
        raise ValidationError(
            {"started_at": _("The ticket's contract does not cover work on %(day)s.") % {"day": day.isoformat()}}
        )


def _charge(entry: TimeEntry, contract: Contract, term: ContractTerm) -> None:
    """Split and price a billable entry at the term's current position and book it onto the term."""
    state = selectors.ledger_state(contract=contract, term=term, ticket_id=entry.ticket_id, excluding=entry.pk)
    charge = pricing.charge_entry(contract.schedule, entry.minutes, state)
    entry.term = term
    entry.units = charge.units
    entry.included_units = charge.included_units
    entry.extra_units = charge.extra_units
    entry.charged_units = charge.charged_units
    entry.amount_cents = charge.amount_cents
    entry.charge_lines = [
        {"quantity": line.quantity, "unit_price_cents": line.unit_price_cents} for line in charge.lines
    ]
    ledger.take(term, charge)


def _release(entry: TimeEntry, term: ContractTerm) -> None:
    """Give an entry's units back to its term and clear its split."""
    ledger.give_back(term, entry)
    entry.included_units = entry.extra_units = entry.charged_units = entry.amount_cents = 0
    entry.charge_lines = []


def _event(
    entry: TimeEntry, *, kind: str, actor: User, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> TimeEntryEvent:
    return TimeEntryEvent.objects.create(
        ticket_id=entry.ticket_id,
        entry_number=entry.pk,
        kind=kind,
        at=timezone.now(),
        actor=actor,
        before=before,
        after=after,
    )


def _bookable_contract_id(ticket: Ticket) -> int:
    if not ticket.is_escalated and ticket.escalated_at is None:
        # Work is booked on tickets the vendor has been given (also after handing one back, R5.6).
        raise ValidationError({"ticket_id": _("Time can only be recorded on an escalated ticket.")})
    if ticket.charged_contract_id is None:
        raise ValidationError({"ticket_id": _("The ticket is not charged to a contract.")})
    return ticket.charged_contract_id


def ensure_may_book(*, acting_user: User) -> None:
    ensure_role(acting_user, *TIME_BOOKING_ROLES)


def contract_for_booking(*, ticket: Ticket) -> Contract:
    """The contract a booking on this ticket would be charged to, refused as the booking would be."""
    return Contract.objects.get(pk=_bookable_contract_id(ticket))


@transaction.atomic
def book_time_entry(
    *,
    acting_user: User,
    ticket: Ticket,
    started_at: datetime,
    minutes: int,
    activity: str,
    text: str = "",
    billable: bool = True,
    corrects: TimeEntry | None = None,
) -> TimeEntry:
    """Record vendor work on an escalated ticket (R4.1) and charge it to the ticket's contract.

    The entry is rounded to whole units (R4.2), takes the included units left in the term in which
    its work started, and is split when it crosses their end (R4.3); the rest is priced (R4.4,
    R4.5). Locks the contract, then the term, so parallel bookings never over-use (R4.8).
    """
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    errors: FieldErrors = {}
    _validate_entry_input(
        minutes=minutes, started_at=started_at, activity=activity, text=text, billable=billable, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    ticket = Ticket.objects.get(pk=ticket.pk)  # fresh: level and contract may have changed
    contract = contract_locks.lock_contract(_bookable_contract_id(ticket))
    day = timezone.localdate(started_at)
    _check_contract_takes_work(contract, ticket, day)
    term = contract_locks.lock_term_on(contract, day)
    entry = TimeEntry(
        ticket=ticket,
        contract=contract,
        term=term,
        agent=acting_user,
        started_at=started_at,
        minutes=minutes,
        activity=activity,
        text=text,
        billable=billable,
        currency=contract.currency,
        units=pricing.units_for(minutes, contract.unit_minutes),
        corrects=corrects,
    )
    if billable:
        _charge(entry, contract, term)
    entry.save()
    _event(entry, kind=TimeEntryEventKind.BOOKED, actor=acting_user, before=None, after=entry.snapshot())
    return entry


def _lock_entry(entry: TimeEntry) -> tuple[Contract, ContractTerm, TimeEntry]:
    """Lock contract, then term, then re-read the entry; refuse if it was invoiced (R4.7)."""
    contract = contract_locks.lock_contract(entry.contract_id)
    term = contract_locks.lock_term(entry.term_id)
    entry = locks.lock_entry(entry.pk)
    if entry.is_invoiced:
        raise ValidationError(
            {
                "invoiced_at": _(
                    "This entry has been invoiced and can no longer be changed; book a correcting entry instead."
                )
            }
        )
    return contract, term, entry


@transaction.atomic
def set_entry_billable(*, acting_user: User, entry: TimeEntry, billable: bool) -> TimeEntry:
    """Mark an entry non-billable (e.g. a confirmed product defect, R4.6) or billable again.

    Non-billable gives its units back to the term; billable again charges it at the current ledger
    position, like a new booking. Entries booked in between are never re-priced.
    """
    ensure_role(acting_user, *BILLABILITY_ROLES)
    if not isinstance(billable, bool):
        raise ValidationError({"billable": _("Enter true or false.")})
    contract, term, entry = _lock_entry(entry)
    if entry.billable == billable:
        return entry
    before = entry.snapshot()
    if billable:
        entry.billable = True
        _charge(entry, contract, term)
    else:
        _release(entry, term)
        entry.billable = False
    entry.save()
    kind = TimeEntryEventKind.BILLABLE if billable else TimeEntryEventKind.NOT_BILLABLE
    _event(entry, kind=kind, actor=acting_user, before=before, after=entry.snapshot())
    return entry


@transaction.atomic
def delete_time_entry(*, acting_user: User, entry: TimeEntry) -> None:
    """Delete an entry booked by mistake, giving its units back; refused once invoiced (R4.7).

    The history row keeps what the entry said, so the deletion leaves its trace.
    """
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    _contract, term, entry = _lock_entry(entry)
    before = entry.snapshot()
    _release(entry, term)
    _event(entry, kind=TimeEntryEventKind.DELETED, actor=acting_user, before=before, after=None)
    entry.delete()


@transaction.atomic
def correct_time_entry(
    *,
    acting_user: User,
    entry: TimeEntry,
    started_at: datetime | None = None,
    minutes: int | None = None,
    activity: str | None = None,
    text: str | None = None,
) -> TimeEntry:
    """Correct an entry not yet invoiced (R4.7 refuses invoiced ones): its old units are given back
    and it is charged again at the current ledger position, on the term its (new) start falls in.
    """
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    contract, term, entry = _lock_entry(entry)
    values = {
        "started_at": entry.started_at if started_at is None else started_at,
        "minutes": entry.minutes if minutes is None else minutes,
        "activity": entry.activity if activity is None else activity,
        "text": entry.text if text is None else text,
    }
    errors: FieldErrors = {}
    _validate_entry_input(billable=entry.billable, errors=errors, **values)
    if errors:
        raise ValidationError(errors)
    day = timezone.localdate(values["started_at"])
    _check_contract_takes_work(contract, entry.ticket, day)
    before = entry.snapshot()
    if entry.billable:
        _release(entry, term)
    for name, value in values.items():
        setattr(entry, name, value)
    entry.units = pricing.units_for(entry.minutes, contract.unit_minutes)
    new_term = contract_locks.lock_term_on(contract, day)  # after the contract's lock: same order
    entry.term = new_term
    if entry.billable:
        _charge(entry, contract, new_term)
    entry.save()
    _event(entry, kind=TimeEntryEventKind.CORRECTED, actor=acting_user, before=before, after=entry.snapshot())
    return entry


def book_correction_entry(
    *, acting_user: User, entry: TimeEntry, minutes: int, text: str = "", started_at: datetime | None = None
) -> TimeEntry:
    """Correct an invoiced entry by a new entry on its ticket (R4.7): more work that belongs to it,
    charged at the ledger's current position on the term its start falls in and billed by the next run.
    An entry not invoiced yet is corrected in place (``correct_time_entry``)."""
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    if not entry.is_invoiced:
        raise ValidationError(
            {"time_entry_id": _("This entry is not invoiced yet; correct it directly instead of booking a correction.")}
        )
    note = _("Correction of time entry #%(entry)s") % {"entry": entry.pk}
    return book_time_entry(
        acting_user=acting_user,
        ticket=entry.ticket,
        started_at=started_at or entry.started_at,
        minutes=minutes,
        activity=entry.activity,
        text=f"{note}: {text}" if text else note,
        billable=entry.billable,
        corrects=entry,
    )
