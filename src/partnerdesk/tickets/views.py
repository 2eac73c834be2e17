"""Ticket pages: the partner's first-level list, the vendor's queue by due time, and the ticket itself."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.channels import scheduling as appointment_scheduling
from partnerdesk.channels import selectors as channel_selectors
from partnerdesk.channels.choices import CallOutcome, RemoteTool
from partnerdesk.contracts import selectors as contract_selectors
from partnerdesk.manual import selectors as manual_selectors
from partnerdesk.web.errors import add_service_errors, flash_refusal
from partnerdesk.web.paging import page_of
from partnerdesk.web.params import object_id, object_ids
from partnerdesk.worklog import selectors as worklog_selectors
from partnerdesk.worklog.choices import TIME_BOOKING_ROLES
from partnerdesk.worklog.forms import TimeEntryForm

from . import selectors, services
from .choices import COVERED_CATEGORIES, Category, Level, ManualLinkKind, MessageKind, TicketState
from .clocks import support_minutes_left, vendor_calendar
from .forms import AttachmentForm, CaptureForm, HandBackForm, MessageForm, TicketCreateForm
from .models import Ticket

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.tickets_visible_to(user), ticket_id, user=user)


def _support_status() -> dict[str, Any]:
    calendar, now = vendor_calendar(), timezone.now()
    is_open = calendar.is_open(now)
    return {"support_open": is_open, "support_next_open": None if is_open else calendar.next_open(now)}


def _appointments_of(user: User, ticket: Ticket) -> dict[str, Any]:
    """The ticket's callbacks, meetings and sessions (R7.2-R7.4); the partner's callback request form on an
    escalated ticket, the vendor's scheduling of requested callbacks."""
    may_schedule = user.is_vendor and user.role in appointment_scheduling.AGENT_ROLES
    may_request = (
        user.is_partner and ticket.is_escalated and ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED)
    )
    return {
        "appointments": list(channel_selectors.appointments_visible_to(user).filter(ticket=ticket)),
        "may_schedule": may_schedule,
        "agent_choices": list(
            User.objects.filter(
                partner__isnull=True, is_active=True, role__in=appointment_scheduling.AGENT_ROLES
            ).order_by("full_name", "pk")
        )
        if may_schedule
        else [],
        "callback_request": may_request,
        "callback_persons": list(ticket.end_customer.contacts.exclude(phone="").order_by("name"))
        if may_request
        else [],
        "support_week": "; ".join(vendor_calendar().describe_week()),
        "call_outcomes": CallOutcome.choices,
        # The vendor's meeting and remote-session forms (R7.3, R7.4): the partner's users who may take part or
        # consent. End customers' contact persons are not listed to the vendor (R9.1): inviting one, or a
        # session on an end customer's system, goes through the API with the person an authorisation names.
        "partner_people": list(
            User.objects.filter(partner_id=ticket.partner_id, is_active=True).order_by("full_name", "pk")
        )
        if may_schedule
        else [],
        "remote_tools": RemoteTool.choices,
    }


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Partner: its tickets, newest first. Vendor: the queue of escalated tickets by due time (R6.3)."""
    user = _user(request)
    state = request.GET.get("state", "")
    category = request.GET.get("category", "")
    query = request.GET.get("q", "").strip()
    state = state if state in TicketState.values else ""
    category = category if category in Category.values else ""
    queue = user.is_vendor and not state
    tickets = selectors.ticket_list(
        user,
        states=selectors.VENDOR_QUEUE_STATES if queue else [state] if state else None,
        category=category or None,
        q=query,
        ordering="due" if queue else "-created_at",
    )
    page = page_of(request, selectors.tickets_shown_to(user, tickets), PAGE_SIZE)
    now = timezone.now()
    rows = [(t, support_minutes_left(t.due_at, now)) for t in page]
    context = {
        "page": page,
        "rows": rows,
        "q": query,
        "state": state,
        "category": category,
        "states": TicketState.choices,
        "categories": Category.choices,
        **_support_status(),
    }
    template = "tickets/partials/ticket_rows.html" if getattr(request, "htmx", False) else "tickets/ticket_list.html"
    return render(request, template, context)


@login_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user.is_partner:
        raise PermissionDenied(_("Only partners open tickets."))
    end_customers = account_selectors.end_customers_visible_to(user).filter(is_active=True)
    form = TicketCreateForm(request.POST or None, end_customers=end_customers)
    ticked = _ticked(request)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "end_customer"}
        try:
            ticket = services.create_ticket(
                acting_user=user, end_customer=form.cleaned_data["end_customer"], manual_section_ids=ticked, **data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Ticket opened."))
            return redirect("web:ticket", ticket_id=ticket.pk)
    context = {
        "form": form,
        "ticked": manual_selectors.sections_by_ids(user, ticked, published_only=True),
        "suggested": manual_selectors.suggest_sections(
            user, request.POST, product=request.POST.get("product", ""), version=request.POST.get("product_version", "")
        )
        if request.method == "POST"
        else [],
    }
    return render(request, "tickets/ticket_create.html", context)


def _ticked(request: HttpRequest) -> list[int]:
    """The manual sections ticked on a capture form (R8.2)."""
    return object_ids(request.POST.getlist("manual_section_ids"))


def _manual_context(user: User, ticket: Ticket) -> dict[str, Any]:
    """The ticket's linked sections, and the sections that match its text (R8.2, R5.4)."""
    links = list(ticket.manual_links.select_related("section").order_by("kind", "section__sort_key", "pk"))
    consulted = [link.section for link in links if link.kind == ManualLinkKind.CONSULTED]
    consulted_ids = {s.pk for s in consulted}
    matching = services.manual_sections_for(ticket, limit=5) if ticket.level == Level.FIRST else []
    return {
        "manual_links": links,
        "ticked": consulted,
        "suggested": [hit for hit in matching if hit.section.pk not in consulted_ids],
        "out_of_scope": bool(ticket.category) and ticket.category not in COVERED_CATEGORIES,
        "resolve_sections": consulted + [hit.section for hit in matching if hit.section.pk not in consulted_ids][:3],
    }


def _with_originals(user: User, thread: list[Any]) -> list[tuple[Any, int | None]]:
    """(message, id of the mail it came by): mailed messages link to their original (partnerdesk.channels)."""
    originals = channel_selectors.originals_by_message(user, [m.pk for m in thread])
    return [(message, originals.get(message.pk)) for message in thread]


@login_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    capture_form = None
    if (
        user.is_partner
        and ticket.level == Level.FIRST
        and ticket.state not in (TicketState.RESOLVED, TicketState.CLOSED)
    ):
        capture_form = CaptureForm(request.POST or None, instance=ticket)
        if request.method == "POST" and capture_form.is_valid():
            try:
                services.update_capture(
                    acting_user=user,
                    ticket=ticket,
                    changes={k: capture_form.cleaned_data[k] for k in capture_form.changed_data},
                    manual_section_ids=_ticked(request),
                )
            except (ValidationError, PermissionDenied) as error:
                flash_refusal(request, error)
            else:
                messages.success(request, _("Capture saved."))
            return redirect("web:ticket", ticket_id=ticket.pk)
    now = timezone.now()
    kinds = services.allowed_message_kinds(user, ticket)
    context: dict[str, Any] = {
        "ticket": selectors.ticket_shown_to(user, ticket),  # the vendor reads it masked (R9.1)
        "capture_form": capture_form,
        "missing": services.missing_capture(ticket),
        **_manual_context(user, ticket),
        "thread": _with_originals(user, list(selectors.messages_shown_to(user, ticket))),  # (message, mail id)
        "attachments": list(selectors.attachments_shown_to(user, ticket)),
        "history": list(selectors.transitions_shown_to(user, ticket)),
        "defects": ticket.defects.all(),
        "message_form": MessageForm(kinds=kinds) if kinds and ticket.state != TicketState.CLOSED else None,
        "attachment_form": AttachmentForm() if kinds and ticket.state != TicketState.CLOSED else None,
        "hand_back_form": HandBackForm() if user.is_vendor else None,
        "minutes_left": support_minutes_left(ticket.due_at, now),
        "following": selectors.is_following(user, ticket),
        "may_follow": user.is_partner or user.role in services.VENDOR_WORKERS,
        "time_entries": worklog_selectors.time_entries_visible_to(user).filter(ticket=ticket),
        "time_events": worklog_selectors.time_entry_events_visible_to(user, ticket).order_by("-at", "-pk")[:20],
        "may_book": user.is_vendor and user.role in TIME_BOOKING_ROLES,
        "time_form": TimeEntryForm(initial={"started_at": timezone.localtime(now).replace(second=0, microsecond=0)})
        if user.is_vendor and user.role in services.VENDOR_WORKERS and ticket.is_escalated
        else None,
        **_support_status(),
        **_appointments_of(user, ticket),
    }
    if user.is_partner and ticket.state in (
        TicketState.NEW,
        TicketState.IN_PROGRESS,
        TicketState.WAITING_FOR_END_CUSTOMER,
    ):
        context["covering"] = contract_selectors.contracts_covering(end_customer=ticket.end_customer, at=now)
        context["default_contract"] = contract_selectors.default_contract_for(end_customer=ticket.end_customer, at=now)
        context["shareable"] = selectors.messages_visible_to(user, ticket).filter(kind=MessageKind.END_CUSTOMER)
        context["shareable_files"] = selectors.attachments_visible_to(user, ticket).exclude(
            kind=MessageKind.PARTNER_NOTE
        )
    return render(request, "tickets/ticket_detail.html", context)


def _act(request: HttpRequest, ticket_id: int, action: Any, done: str) -> HttpResponse:
    """Run one service on a visible ticket; refusals become messages naming every problem."""
    ticket = _ticket(request, ticket_id)
    try:
        action(ticket)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, done)
    return redirect("web:ticket", ticket_id=ticket_id)


def _ids(request: HttpRequest, name: str) -> list[int]:
    return object_ids(request.POST.getlist(name))


@login_required
@require_POST
def ticket_escalate(request: HttpRequest, ticket_id: int) -> HttpResponse:
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    level = Level.THIRD if request.POST.get("level") == "3" else Level.SECOND
    contract = None
    contract_id = object_id(request.POST.get("contract_id"))
    if contract_id is not None:
        contract = account_selectors.get_visible_or_404(
            contract_selectors.contracts_visible_to(user), contract_id, user=user
        )
    message_ids, file_ids = _ids(request, "shared_message_ids"), _ids(request, "shared_attachment_ids")
    for queryset, ids in (
        (selectors.messages_visible_to(user, ticket), message_ids),
        (selectors.attachments_visible_to(user, ticket), file_ids),
    ):
        for pk in ids:
            account_selectors.get_visible_or_404(queryset, pk, user=user)
    return _act(
        request,
        ticket_id,
        lambda t: services.escalate(
            acting_user=user,
            ticket=t,
            level=level,
            contract=contract,
            shared_message_ids=message_ids,
            shared_attachment_ids=file_ids,
            note=request.POST.get("note", ""),
        ),
        _("Ticket escalated."),
    )


@login_required
@require_POST
def ticket_hand_back(request: HttpRequest, ticket_id: int) -> HttpResponse:
    form = HandBackForm(request.POST)
    if not form.is_valid():
        _ticket(request, ticket_id)
        messages.error(request, _("Choose a reason and write a message to the partner."))
        return redirect("web:ticket", ticket_id=ticket_id)
    return _act(
        request,
        ticket_id,
        lambda t: services.hand_back(acting_user=_user(request), ticket=t, **form.cleaned_data),
        _("Ticket handed back to the partner."),
    )


@login_required
@require_POST
def ticket_resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda t: services.resolve(
            acting_user=_user(request),
            ticket=t,
            note=request.POST.get("note", ""),
            solved_with_manual=request.POST.get("solved_with_manual") == "on",
            manual_section_ids=_ticked(request) if request.POST.get("solved_with_manual") == "on" else [],
        ),
        _("Ticket resolved."),
    )


@login_required
@require_POST
def ticket_return(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda t: services.return_to_vendor(acting_user=_user(request), ticket=t, note=request.POST.get("note", "")),
        _("The ticket is back with the vendor."),
    )


@login_required
@require_POST
def ticket_close(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(request, ticket_id, lambda t: services.close(acting_user=_user(request), ticket=t), _("Ticket closed."))


@login_required
@require_POST
def ticket_reopen(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda t: services.reopen(acting_user=_user(request), ticket=t, reason=request.POST.get("reason", "")),
        _("Ticket reopened."),
    )


@login_required
@require_POST
def ticket_state(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda t: services.set_first_level_state(
            acting_user=_user(request), ticket=t, state=request.POST.get("state", "")
        ),
        _("State changed."),
    )


@login_required
@require_POST
def ticket_message(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda t: services.post_message(
            acting_user=_user(request), ticket=t, kind=request.POST.get("kind", ""), body=request.POST.get("body", "")
        ),
        _("Message added."),
    )


@login_required
@require_POST
def ticket_attachment(request: HttpRequest, ticket_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        _ticket(request, ticket_id)
        messages.error(request, _("Choose a file."))
        return redirect("web:ticket", ticket_id=ticket_id)
    return _act(
        request,
        ticket_id,
        lambda t: services.add_attachment(
            acting_user=_user(request),
            ticket=t,
            upload=upload,
            kind=request.POST.get("kind", MessageKind.THREAD),
            shared_with_vendor=request.POST.get("shared_with_vendor") == "on",
        ),
        _("File attached."),
    )


@login_required
def ticket_attachment_download(request: HttpRequest, ticket_id: int, attachment_id: int) -> FileResponse:
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


@login_required
@require_POST
def ticket_follow(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Follow the ticket (`follow=1`) or stop following it (anything else)."""
    user = _user(request)
    if request.POST.get("follow") == "1":
        return _act(
            request,
            ticket_id,
            lambda t: services.follow(acting_user=user, ticket=t),
            _("You follow this ticket: its messages and moves reach you by mail."),
        )
    return _act(
        request,
        ticket_id,
        lambda t: services.unfollow(acting_user=user, ticket=t),
        _("You no longer follow this ticket."),
    )


@login_required
@require_POST
def ticket_defect(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _act(
        request,
        ticket_id,
        lambda t: services.link_defect(
            acting_user=_user(request), ticket=t, key=request.POST.get("key", ""), title=request.POST.get("title", "")
        ),
        _("Defect linked."),
    )
