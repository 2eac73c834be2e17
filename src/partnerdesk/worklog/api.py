"""Time entries API: the work recorded on a ticket, booking, correction, the billable flag, deletion,
the cost preview and the history of every change.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AwareDatetime, StrictBool, StrictInt

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.contracts.selectors import contracts_visible_to
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to

from . import selectors, services
from .choices import MAX_ENTRY_MINUTES, MAX_ENTRY_TEXT
from .models import TimeEntry, TimeEntryEvent

router = Router(tags=["time entries"])

ActivityName = Literal["email", "callback", "web_meeting", "remote_maintenance", "analysis"]
EventKindName = Literal["booked", "corrected", "deleted", "billable", "not_billable"]


class TimeEntryIn(Strict):
    started_at: AwareDatetime
    minutes: StrictInt = Field(..., ge=1, le=MAX_ENTRY_MINUTES)
    activity: ActivityName
    text: str = Field("", max_length=MAX_ENTRY_TEXT)
    billable: StrictBool = True


class TimeEntryCorrectionIn(Strict):
    started_at: AwareDatetime | None = None
    minutes: StrictInt | None = Field(None, ge=1, le=MAX_ENTRY_MINUTES)
    activity: ActivityName | None = None
    text: str | None = Field(None, max_length=MAX_ENTRY_TEXT)


class QuoteIn(Strict):
    started_at: AwareDatetime
    minutes: StrictInt = Field(..., ge=1, le=MAX_ENTRY_MINUTES)


class CorrectionEntryIn(Strict):
    minutes: StrictInt = Field(..., ge=1, le=MAX_ENTRY_MINUTES)
    text: str = Field("", max_length=MAX_ENTRY_TEXT - 100)
    started_at: AwareDatetime | None = None


class BillableIn(Strict):
    billable: StrictBool


class ChargeLineOut(Schema):
    quantity: int
    unit_price: Decimal
    amount: Decimal


class TimeEntryOut(Schema):
    id: int
    ticket_id: int
    contract_id: int
    term_number: int
    agent_id: int
    agent_name: str
    started_at: datetime
    minutes: int
    activity: ActivityName
    text: str
    billable: bool
    units: int
    included_units: int
    extra_units: int
    charged_units: int
    amount: Decimal
    currency: str
    charge_lines: list[ChargeLineOut]
    booked_at: datetime
    invoiced_at: datetime | None
    corrects_id: int | None

    @staticmethod
    def resolve_term_number(obj: TimeEntry) -> int:
        return obj.term.index + 1

    @staticmethod
    def resolve_agent_name(obj: TimeEntry) -> str:
        return str(obj.agent)

    @staticmethod
    def resolve_charge_lines(obj: TimeEntry) -> list[dict[str, Any]]:
        return [
            {"quantity": line.quantity, "unit_price": line.unit_price, "amount": line.amount} for line in obj.lines()
        ]


class QuoteOut(Schema):
    contract_id: int
    units: int
    included_units: int
    extra_units: int
    charged_units: int
    amount: Decimal
    currency: str
    charge_lines: list[ChargeLineOut]


class TimeEntryEventOut(Schema):
    id: int
    time_entry_id: int = Field(..., description="The entry's number; it stays after the entry is deleted.")
    kind: EventKindName
    at: datetime
    actor_name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @staticmethod
    def resolve_time_entry_id(obj: TimeEntryEvent) -> int:
        return obj.entry_number

    @staticmethod
    def resolve_actor_name(obj: TimeEntryEvent) -> str:
        return str(obj.actor) if obj.actor else ""


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    user = _user(request)
    return account_selectors.get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)


def _entries(request: HttpRequest, ticket_id: int) -> tuple[Ticket, Any]:
    ticket = _ticket(request, ticket_id)
    return ticket, selectors.time_entries_visible_to(_user(request)).filter(ticket=ticket)


def _entry(request: HttpRequest, ticket_id: int, time_entry_id: int) -> tuple[Any, TimeEntry]:
    _ticket_, entries = _entries(request, ticket_id)
    return entries, account_selectors.get_visible_or_404(entries, time_entry_id, user=_user(request))


@router.get("/tickets/{ticket_id}/time-entries", response=list[TimeEntryOut], summary="Time recorded on a ticket")
@paginate(LimitOffset)
def list_time_entries(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    _ticket_, entries = _entries(request, ticket_id)
    return entries.order_by("started_at", "pk")


@router.post(
    "/tickets/{ticket_id}/time-entries",
    response={201: TimeEntryOut},
    summary="Record work on an escalated ticket (vendor staff); charged to the ticket's contract",
)
def book_time_entry(request: HttpRequest, ticket_id: ObjectId, payload: TimeEntryIn):  # type: ignore[no-untyped-def]
    ticket, entries = _entries(request, ticket_id)
    entry = services.book_time_entry(
        acting_user=_user(request),
        ticket=ticket,
        started_at=payload.started_at,
        minutes=payload.minutes,
        activity=payload.activity,
        text=payload.text,
        billable=payload.billable,
    )
    return Status(201, entries.get(pk=entry.pk))


@router.post(
    "/tickets/{ticket_id}/time-entries/quote",
    response=QuoteOut,
    summary="What booking this work now would cost, without booking it (R4.3-R4.5)",
)
def quote_time_entry(request: HttpRequest, ticket_id: ObjectId, payload: QuoteIn):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    services.ensure_may_book(acting_user=_user(request))
    contract = services.contract_for_booking(ticket=ticket)
    charge = selectors.quote_time_entry(
        contract=contract, ticket_id=ticket.pk, started_at=payload.started_at, minutes=payload.minutes
    )
    return QuoteOut(
        contract_id=contract.pk,
        units=charge.units,
        included_units=charge.included_units,
        extra_units=charge.extra_units,
        charged_units=charge.charged_units,
        amount=charge.amount,
        currency=contract.currency,
        charge_lines=[
            ChargeLineOut(quantity=x.quantity, unit_price=x.unit_price, amount=x.amount) for x in charge.lines
        ],
    )


@router.post(
    "/tickets/{ticket_id}/time-entries/preview",
    response=QuoteOut,
    summary="The cost of this work if booked now, without booking it (the same quote as .../quote)",
)
def preview_time_entry(request: HttpRequest, ticket_id: ObjectId, payload: QuoteIn):  # type: ignore[no-untyped-def]
    return quote_time_entry(request, ticket_id, payload)


@router.get(
    "/contracts/{contract_id}/time-entries",
    response=list[TimeEntryOut],
    summary="Time charged to a contract, oldest first (of the tickets the asker may see)",
)
@paginate(LimitOffset)
def list_contract_time_entries(request: HttpRequest, contract_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    contract = account_selectors.get_visible_or_404(contracts_visible_to(user), contract_id, user=user)
    return selectors.time_entries_visible_to(user).filter(contract=contract).order_by("started_at", "pk")


@router.post(
    "/time-entries/{entry_id}/corrections",
    response={201: TimeEntryOut},
    summary="Correct an invoiced entry by a new entry on its ticket, billed by the next run (R4.7)",
)
def book_correction(request: HttpRequest, entry_id: ObjectId, payload: CorrectionEntryIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    entries = selectors.time_entries_visible_to(user)
    entry = account_selectors.get_visible_or_404(entries, entry_id, user=user)
    created = services.book_correction_entry(
        acting_user=user, entry=entry, minutes=payload.minutes, text=payload.text, started_at=payload.started_at
    )
    return Status(201, entries.get(pk=created.pk))


@router.patch(
    "/tickets/{ticket_id}/time-entries/{time_entry_id}",
    response=TimeEntryOut,
    summary="Correct an entry (start, minutes, activity, text); charged again at the current position (R4.7)",
)
def correct_time_entry(  # type: ignore[no-untyped-def]
    request: HttpRequest, ticket_id: ObjectId, time_entry_id: ObjectId, payload: TimeEntryCorrectionIn
):
    entries, entry = _entry(request, ticket_id, time_entry_id)
    services.correct_time_entry(acting_user=_user(request), entry=entry, **payload.model_dump(exclude_none=True))
    return entries.get(pk=entry.pk)


@router.post(
    "/tickets/{ticket_id}/time-entries/{time_entry_id}/billable",
    response=TimeEntryOut,
    summary="Mark an entry billable or not (R4.6); refused once invoiced (R4.7)",
)
def set_time_entry_billable(  # type: ignore[no-untyped-def]
    request: HttpRequest, ticket_id: ObjectId, time_entry_id: ObjectId, payload: BillableIn
):
    entries, entry = _entry(request, ticket_id, time_entry_id)
    services.set_entry_billable(acting_user=_user(request), entry=entry, billable=payload.billable)
    return entries.get(pk=entry.pk)


@router.delete(
    "/tickets/{ticket_id}/time-entries/{time_entry_id}",
    response={204: None},
    summary="Delete an entry booked by mistake; refused once invoiced (R4.7)",
)
def delete_time_entry(request: HttpRequest, ticket_id: ObjectId, time_entry_id: ObjectId):  # type: ignore[no-untyped-def]
    _entries_, entry = _entry(request, ticket_id, time_entry_id)
    services.delete_time_entry(acting_user=_user(request), entry=entry)
    return Status(204, None)


@router.get(
    "/tickets/{ticket_id}/time-entry-events",
    response=list[TimeEntryEventOut],
    summary="Every booking, correction, deletion and billable change of the ticket's time, oldest first",
)
@paginate(LimitOffset)
def list_time_entry_events(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    return selectors.time_entry_events_visible_to(_user(request), _ticket(request, ticket_id))
