"""Tickets API: tickets, escalation and the levels, messages, attachments, history, defects, support hours."""

from datetime import datetime
from typing import Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.api.fields import Moment, ObjectId
from partnerdesk.api.pagination import COUNT_DESCRIPTION, LimitOffset
from partnerdesk.api.rendering import json_response
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.api.schemas import asker as _asker
from partnerdesk.contracts import selectors as contract_selectors
from partnerdesk.manual import selectors as manual_selectors
from partnerdesk.manual.choices import SectionStatus

from . import selectors, services
from .choices import Category, HandBackReason, Level, ManualLinkKind, MessageKind, TicketState
from .clocks import support_minutes_left, vendor_calendar
from .models import Attachment, ProductDefect, Ticket, TicketManualSection

router = Router(tags=["tickets"])


CaptureText = Field(None, max_length=20_000)


class CaptureIn(Strict):
    product: str | None = Field(None, max_length=100)
    product_version: str | None = Field(None, max_length=50)
    environment: str | None = CaptureText
    description: str | None = CaptureText
    steps_to_reproduce: str | None = CaptureText
    expected_behaviour: str | None = CaptureText
    actual_behaviour: str | None = CaptureText
    error_messages: str | None = CaptureText
    business_impact: str | None = CaptureText
    tried_by_first_level: str | None = CaptureText
    category: Category | None = None
    manual_section_ids: list[ObjectId] | None = Field(
        None,
        description="The published manual sections consulted (R8.2); replaces the earlier ones "
        "(see POST /manual/suggestions)",
    )


class TicketIn(CaptureIn):
    end_customer_id: ObjectId
    subject: str = Field(..., min_length=1, max_length=200)


class TicketPatch(CaptureIn):
    subject: str | None = Field(None, min_length=1, max_length=200)
    state: Literal["in_progress", "waiting_for_end_customer"] | None = None


def _shown_end_customer(obj: Ticket, context: dict[str, Any]) -> str:
    """The end customer's name for the partner, its pseudonym for the vendor unless revealed (R1.3)."""
    customer = obj.end_customer
    return customer.name if _asker(context).is_partner or customer.name_revealed else customer.pseudonym


class DefectOut(Schema):
    id: int
    key: str
    title: str
    status: str
    fixed_in_version: str


class TicketSectionOut(Schema):
    id: int = Field(..., description="The manual section's id")
    number: str
    title: str
    language: str
    kind: str = Field(..., description="consulted (while capturing) or solved (solved with the manual)")

    @staticmethod
    def resolve_id(obj: Any) -> int:
        return obj.section_id

    @staticmethod
    def resolve_number(obj: Any) -> str:
        return obj.section.number

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return obj.section.title

    @staticmethod
    def resolve_language(obj: Any) -> str:
        return obj.section.language


class TicketOut(Schema):
    id: int
    partner_id: int
    end_customer_id: int
    end_customer: str = Field(..., description="Name for the partner; pseudonym for the vendor unless revealed")
    subject: str
    category: str
    level: int
    state: str
    charged_contract_id: int | None
    created_at: datetime
    escalated_at: datetime | None
    resolved_at: datetime | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    resolution_due_at: datetime | None
    due_at: datetime | None
    clock_paused: bool
    support_minutes_left: int | None = Field(None, description="Until the running due time; negative when breached")
    product: str
    product_version: str
    environment: str
    description: str
    steps_to_reproduce: str
    expected_behaviour: str
    actual_behaviour: str
    error_messages: str
    business_impact: str
    tried_by_first_level: str
    manual_sections: list[TicketSectionOut] = Field(..., description="Manual sections linked (R8.2, R8.3)")
    manual_sections_consulted: str = Field(
        ...,
        description="The consulted sections as text, number and title, '; ' between them (read only; "
        "kept for clients of the earlier free-text field; write manual_section_ids)",
    )
    solved_with_manual: bool
    missing_for_escalation: list[str] = Field(..., description="Capture fields still empty (R5.2)")
    defects: list[DefectOut]

    resolve_end_customer = staticmethod(_shown_end_customer)

    @staticmethod
    def resolve_clock_paused(obj: Ticket) -> bool:
        return obj.clock_paused_at is not None

    @staticmethod
    def resolve_support_minutes_left(obj: Ticket) -> int | None:
        return support_minutes_left(obj.due_at, timezone.now())

    @staticmethod
    def resolve_missing_for_escalation(obj: Ticket) -> list[str]:
        return services.missing_capture(obj)

    @staticmethod
    def resolve_manual_sections(obj: Ticket) -> list[Any]:
        return list(obj.manual_links.all())

    @staticmethod
    def resolve_manual_sections_consulted(obj: Ticket) -> str:
        return "; ".join(
            f"{link.section.number} {link.section.title}"
            for link in obj.manual_links.all()
            if link.kind == ManualLinkKind.CONSULTED
        )

    @staticmethod
    def resolve_defects(obj: Ticket) -> list[ProductDefect]:
        return list(obj.defects.all())


def _listed_end_customer(obj: Any, context: dict[str, Any]) -> str:
    return obj["end_customer"] if isinstance(obj, dict) else _shown_end_customer(obj, context)


class TicketListOut(Schema):
    id: int
    partner_id: int
    end_customer_id: int
    end_customer: str
    subject: str
    category: str
    level: int
    state: str
    created_at: datetime
    due_at: datetime | None

    resolve_end_customer = staticmethod(_listed_end_customer)  # rows of selectors.ticket_rows_shown_to


class TicketFilters(Schema):
    state: list[TicketState] | None = Field(None, description="One or more states")
    level: Level | None = None
    end_customer_id: ObjectId | None = None
    category: Category | None = None
    due_before: Moment | None = None
    q: str | None = Field(None, max_length=200, description="Search in subject")
    ordering: Literal["due", "-created_at", "created_at"] = "-created_at"


# What `@paginate(LimitOffset)` answers (the same name and shape in the OpenAPI document); the view writes
# the JSON itself (partnerdesk.api.rendering): its rows are the answer's fields already.
class PagedTicketListOut(Schema):
    items: list[TicketListOut]
    count: int = Field(..., description=COUNT_DESCRIPTION)


@router.get("/tickets", response=PagedTicketListOut, summary="Tickets you may see, filtered and ordered")
def list_tickets(  # type: ignore[no-untyped-def]
    request: HttpRequest, filters: Query[TicketFilters], page: Query[LimitOffset.Input]
):
    # The rows come from the database as exactly the answer's fields (selectors.ticket_rows_shown_to): no
    # model per row, no validation of what the database returned; the same bytes as ninja's renderer writes
    # (tests/api/test_tickets_speed.py compares them).
    user = _user(request)
    rows = selectors.ticket_list_rows(  # plain rows; the vendor reads them masked (R9.1)
        user,
        states=filters.state,
        level=filters.level,
        end_customer_id=filters.end_customer_id,
        category=filters.category,
        due_before=filters.due_before,
        q=filters.q,
        ordering=filters.ordering,
    )
    result = LimitOffset.bounded_page(rows, page.offset, page.limit)
    return json_response({"items": result["items"], "count": result["count"]})


def _ticket(request: HttpRequest, ticket_id: ObjectId) -> Ticket:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.tickets_visible_to(user), ticket_id, user=user)


def _section_ids(request: HttpRequest, ids: list[int] | None) -> list[int] | None:
    """Section ids from outside: a draft or missing one is a 404 like any id the asker cannot read."""
    if ids is None:
        return None
    user = _user(request)
    published = manual_selectors.sections_visible_to(user).filter(status=SectionStatus.PUBLISHED)
    return [s.pk for s in account_selectors.get_all_visible_or_404(published, ids, user=user)]


def _manual_links() -> Prefetch:
    return Prefetch("manual_links", TicketManualSection.objects.select_related("section"))


def _answered(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Tickets with what TicketOut reads, and nothing else: no partner row, no unused columns."""
    return selectors.ticket_answer_columns(queryset).prefetch_related(
        Prefetch("defects", queryset=ProductDefect.objects.only(*DEFECT_FIELDS)), _manual_links()
    )


DEFECT_FIELDS = ("id", "key", "title", "status", "fixed_in_version")


def _reload(request: HttpRequest, ticket: Ticket) -> Any:
    """The ticket as the asker may read it (for the vendor: texts masked, selectors.ticket_shown_to)."""
    return selectors.ticket_shown_to(_user(request), _answered(Ticket.objects.all()).get(pk=ticket.pk))


@router.post("/tickets", response={201: TicketOut}, summary="Open a ticket for one of your end customers (R5.1)")
def create_ticket(request: HttpRequest, payload: TicketIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    end_customer = account_selectors.get_visible_or_404(
        account_selectors.end_customers_visible_to(user), payload.end_customer_id, user=user
    )
    data = payload.model_dump(exclude={"end_customer_id", "manual_section_ids"}, exclude_none=True)
    section_ids = _section_ids(request, payload.manual_section_ids)
    ticket = services.create_ticket(acting_user=user, end_customer=end_customer, manual_section_ids=section_ids, **data)
    # The answer is the row just written (every column is the one inserted, the end customer was read above);
    # a new ticket has no defects, and its manual links are read only when some were given.
    links = (
        list(TicketManualSection.objects.filter(ticket=ticket).select_related("section"))
        if section_ids
        else TicketManualSection.objects.none()
    )
    ticket._prefetched_objects_cache = {"defects": ProductDefect.objects.none(), "manual_links": links}
    return Status(201, selectors.ticket_shown_to(user, ticket))


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="One ticket")
def get_ticket(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)  # the ticket is read once: visibility, its columns and its end customer together
    ticket = account_selectors.get_visible_or_404(_answered(selectors.tickets_visible_to(user)), ticket_id, user=user)
    return selectors.ticket_shown_to(user, ticket)


@router.patch("/tickets/{ticket_id}", response=TicketOut, summary="Complete the capture or set a first-level state")
def update_ticket(request: HttpRequest, ticket_id: ObjectId, payload: TicketPatch):  # type: ignore[no-untyped-def]
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    changes = payload.model_dump(exclude_unset=True)
    state = changes.pop("state", None)
    section_ids = changes.pop("manual_section_ids", None)
    if changes or section_ids is not None:
        ticket = services.update_capture(
            acting_user=user, ticket=ticket, changes=changes, manual_section_ids=_section_ids(request, section_ids)
        )
    if state:
        ticket = services.set_first_level_state(acting_user=user, ticket=ticket, state=state)
    return _reload(request, ticket)


class EscalateIn(Strict):
    level: Literal[2, 3] = 2
    contract_id: ObjectId | None = Field(
        None, description="Default: the covering contract with included time left, else S"
    )
    shared_message_ids: list[ObjectId] = Field([], description="First-level correspondence the vendor may see (R5.5)")
    shared_attachment_ids: list[ObjectId] = []
    note: str = Field("", max_length=5000)


@router.post("/tickets/{ticket_id}/escalate", response=TicketOut, summary="Escalate to second or third level")
def escalate(request: HttpRequest, ticket_id: ObjectId, payload: EscalateIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    contract = None
    if payload.contract_id is not None:
        contract = account_selectors.get_visible_or_404(
            contract_selectors.contracts_visible_to(user), payload.contract_id, user=user
        )
    # Ids from outside are resolved first: another ticket's messages look like missing ones (404).
    account_selectors.get_all_visible_or_404(
        selectors.messages_visible_to(user, ticket), payload.shared_message_ids, user=user
    )
    account_selectors.get_all_visible_or_404(
        selectors.attachments_visible_to(user, ticket), payload.shared_attachment_ids, user=user
    )
    ticket = services.escalate(
        acting_user=user,
        ticket=ticket,
        level=payload.level,
        contract=contract,
        shared_message_ids=payload.shared_message_ids,
        shared_attachment_ids=payload.shared_attachment_ids,
        note=payload.note,
    )
    return _reload(request, ticket)


class HandBackIn(Strict):
    reason: HandBackReason
    message: str = Field(..., min_length=1, max_length=20_000)


@router.post("/tickets/{ticket_id}/hand-back", response=TicketOut, summary="Hand the ticket back to the partner (R5.6)")
def hand_back(request: HttpRequest, ticket_id: ObjectId, payload: HandBackIn):  # type: ignore[no-untyped-def]
    ticket = services.hand_back(
        acting_user=_user(request), ticket=_ticket(request, ticket_id), reason=payload.reason, message=payload.message
    )
    return _reload(request, ticket)


class NoteIn(Strict):
    note: str = Field("", max_length=5000)


class ReasonIn(Strict):
    reason: str = Field(..., min_length=1, max_length=5000)


class ResolveIn(NoteIn):
    solved_with_manual: bool = Field(False, description="First level solved it with the manual (R8.3)")
    manual_section_ids: list[ObjectId] = Field([], description="The sections that solved it (with solved_with_manual)")


@router.post("/tickets/{ticket_id}/resolve", response=TicketOut, summary="Resolve the ticket")
def resolve(request: HttpRequest, ticket_id: ObjectId, payload: ResolveIn):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    ticket = services.resolve(
        acting_user=_user(request),
        ticket=ticket,
        note=payload.note,
        solved_with_manual=payload.solved_with_manual,
        manual_section_ids=_section_ids(request, payload.manual_section_ids) or [],
    )
    return _reload(request, ticket)


@router.post(
    "/tickets/{ticket_id}/return-to-vendor",
    response=TicketOut,
    summary="Give a ticket waiting for the partner back to the vendor (R5.6); a reply in the thread does the same",
)
def return_to_vendor(request: HttpRequest, ticket_id: ObjectId, payload: NoteIn):  # type: ignore[no-untyped-def]
    ticket = services.return_to_vendor(
        acting_user=_user(request), ticket=_ticket(request, ticket_id), note=payload.note
    )
    return _reload(request, ticket)


@router.post("/tickets/{ticket_id}/reopen", response=TicketOut, summary="Reopen a resolved ticket within the window")
def reopen(request: HttpRequest, ticket_id: ObjectId, payload: ReasonIn):  # type: ignore[no-untyped-def]
    ticket = services.reopen(acting_user=_user(request), ticket=_ticket(request, ticket_id), reason=payload.reason)
    return _reload(request, ticket)


@router.post("/tickets/{ticket_id}/close", response=TicketOut, summary="Close a resolved ticket")
def close(request: HttpRequest, ticket_id: ObjectId, payload: NoteIn):  # type: ignore[no-untyped-def]
    ticket = services.close(acting_user=_user(request), ticket=_ticket(request, ticket_id), note=payload.note)
    return _reload(request, ticket)


class FollowOut(Schema):
    ticket_id: int
    following: bool = Field(..., description="Whether you are told of this ticket's messages and moves by mail")


@router.get("/tickets/{ticket_id}/follow", response=FollowOut, summary="Whether you follow the ticket")
def get_follow(request: HttpRequest, ticket_id: ObjectId) -> FollowOut:
    ticket = _ticket(request, ticket_id)
    return FollowOut(ticket_id=ticket.pk, following=selectors.is_following(_user(request), ticket))


@router.post(
    "/tickets/{ticket_id}/follow",
    response=FollowOut,
    summary="Follow the ticket: be told of the other side's messages and moves by mail",
)
def follow(request: HttpRequest, ticket_id: ObjectId) -> FollowOut:
    ticket = _ticket(request, ticket_id)
    return FollowOut(ticket_id=ticket.pk, following=services.follow(acting_user=_user(request), ticket=ticket))


@router.delete("/tickets/{ticket_id}/follow", response=FollowOut, summary="Stop following the ticket")
def unfollow(request: HttpRequest, ticket_id: ObjectId) -> FollowOut:
    ticket = _ticket(request, ticket_id)
    return FollowOut(ticket_id=ticket.pk, following=services.unfollow(acting_user=_user(request), ticket=ticket))


class TransitionOut(Schema):
    at: datetime
    actor: str
    from_state: str
    to_state: str
    from_level: int
    to_level: int
    reason: str
    note: str

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor)


@router.get("/tickets/{ticket_id}/history", response=list[TransitionOut], summary="Every transition (R5.8)")
@paginate(LimitOffset)
def history(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    return selectors.transitions_shown_to(user, _ticket(request, ticket_id))


class MessageIn(Strict):
    kind: MessageKind = MessageKind.THREAD
    body: str = Field(..., min_length=1, max_length=100_000)


class MessageOut(Schema):
    id: int
    kind: str
    author_name: str
    body: str
    shared_with_vendor: bool
    created_at: datetime


@router.get("/tickets/{ticket_id}/messages", response=list[MessageOut], summary="Messages you may see (R5.9)")
@paginate(LimitOffset)
def list_messages(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    return selectors.messages_shown_to(_user(request), _ticket(request, ticket_id))


@router.post("/tickets/{ticket_id}/messages", response={201: MessageOut}, summary="Write a message or a note")
def post_message(request: HttpRequest, ticket_id: ObjectId, payload: MessageIn):  # type: ignore[no-untyped-def]
    ticket = _ticket(request, ticket_id)
    message = services.post_message(acting_user=_user(request), ticket=ticket, kind=payload.kind, body=payload.body)
    return Status(201, selectors.shown_one(_user(request), message, ticket=ticket))


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    kind: str
    shared_with_vendor: bool
    uploaded_at: datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        return f"/api/v1/tickets/{obj.ticket_id}/attachments/{obj.pk}/download"


@router.get("/tickets/{ticket_id}/attachments", response=list[AttachmentOut], summary="Attachments you may see")
@paginate(LimitOffset)
def list_attachments(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    return selectors.attachments_shown_to(_user(request), _ticket(request, ticket_id))


@router.post("/tickets/{ticket_id}/attachments", response={201: AttachmentOut}, summary="Upload an attachment")
def upload_attachment(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    ticket_id: ObjectId,
    file: File[UploadedFile],
    kind: Form[MessageKind] = MessageKind.THREAD,
    shared_with_vendor: Form[bool] = False,
):
    ticket = _ticket(request, ticket_id)
    attachment = services.add_attachment(
        acting_user=_user(request), ticket=ticket, upload=file, kind=kind, shared_with_vendor=shared_with_vendor
    )
    return Status(201, selectors.shown_one(_user(request), attachment, ticket=ticket))


@router.get(
    "/tickets/{ticket_id}/attachments/{attachment_id}/download",
    response={200: None},
    summary="Download an attachment (only for those who may see it)",
)
def download_attachment(request: HttpRequest, ticket_id: ObjectId, attachment_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    attachment = account_selectors.get_visible_or_404(
        selectors.attachments_visible_to(user, ticket), attachment_id, user=user
    )
    if attachment.removed_at is not None:  # its file is past retention
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=selectors.shown_one(user, attachment, ticket=ticket).filename,
        content_type=attachment.content_type,
    )


class DefectIn(Strict):
    key: str = Field(..., min_length=1, max_length=50)
    title: str = Field("", max_length=200)
    status: str | None = Field(None, max_length=20)
    fixed_in_version: str | None = Field(None, max_length=50)


class DefectPatch(Strict):
    status: str | None = Field(None, max_length=20)
    fixed_in_version: str | None = Field(None, max_length=50)


@router.post("/tickets/{ticket_id}/defects", response={201: DefectOut}, summary="Link a product defect (R5.10)")
def link_defect(request: HttpRequest, ticket_id: ObjectId, payload: DefectIn):  # type: ignore[no-untyped-def]
    defect = services.link_defect(
        acting_user=_user(request), ticket=_ticket(request, ticket_id), **payload.model_dump()
    )
    return Status(201, defect)


@router.get("/defects", response=list[DefectOut], summary="Product defects you may see")
@paginate(LimitOffset)
def list_defects(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.defects_visible_to(_user(request))


@router.patch("/defects/{defect_id}", response=DefectOut, summary="Change a defect's status (vendor)")
def update_defect(request: HttpRequest, defect_id: ObjectId, payload: DefectPatch):  # type: ignore[no-untyped-def]
    user = _user(request)
    defect = account_selectors.get_visible_or_404(selectors.defects_visible_to(user), defect_id, user=user)
    return services.update_defect(acting_user=user, defect=defect, **payload.model_dump(exclude_unset=True))


class ClosureOut(Schema):
    date: str
    name: str
    kind: str
    hours: list[str]


class SupportHoursOut(Schema):
    timezone: str
    schedule: list[str] = Field(..., description='e.g. ["Mon-Thu 09:00-17:00", "Fri 09:00-12:00"]')
    open_now: bool
    next_open: datetime = Field(..., description="Now when open, else the next opening")
    next_closures: list[ClosureOut] = Field(..., description="Upcoming holidays and closed or special days")


@router.get("/support-hours", response=SupportHoursOut, summary="The vendor's support hours (R6.5)")
def get_support_hours(request: HttpRequest) -> SupportHoursOut:
    calendar = vendor_calendar()
    now = timezone.now()
    local_today = now.astimezone(calendar.zone).date()
    closures = [c for c in calendar.next_closures(local_today, 12) if c.affects_support][:6]
    return SupportHoursOut(
        timezone=calendar.zone.key,
        schedule=calendar.describe_week(),
        open_now=calendar.is_open(now),
        next_open=calendar.next_open(now),
        next_closures=[
            ClosureOut(date=c.day.isoformat(), name=c.name, kind=c.kind, hours=[str(h) for h in c.hours])
            for c in closures
        ],
    )
