"""The inboxes: quarantined mail the vendor admin (vendor's inbox) or a partner admin (partner's inbox) takes
in or discards, and the original of any received mail for whoever may see it. Appointments: the partner's
callback request from the ticket page, the vendor's scheduling of it, and the vendor's day plan."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts.models import ContactPerson, EndCustomer, Partner, User
from partnerdesk.accounts.selectors import get_visible_or_404
from partnerdesk.tickets.clocks import vendor_calendar
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to
from partnerdesk.web.errors import flash_refusal
from partnerdesk.web.paging import page_of
from partnerdesk.web.params import object_id

from . import appointments, scheduling, selectors, services
from .choices import AppointmentKind, InboundOutcome
from .models import InboundMail

PAGE_SIZE = 50


def _inbox_user(request: HttpRequest) -> tuple[User, QuerySet[InboundMail]]:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    inbox = selectors.inbox_of(user)
    if inbox is None:
        raise PermissionDenied(_("Your role does not allow this action."))
    return user, inbox


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user, rows = _inbox_user(request)
    show = request.GET.get("show", "")
    rows = rows.filter(outcome=InboundOutcome.DISCARDED if show == "discarded" else InboundOutcome.QUARANTINED)
    page = page_of(request, rows, PAGE_SIZE)
    return render(request, "channels/inbox.html", {"page": page, "show": show, "vendor_inbox": user.is_vendor})


@login_required
def inbox_mail(request: HttpRequest, mail_id: int) -> HttpResponse:
    user, mail = _mail_of_inbox(request, mail_id)
    context: dict[str, object] = {"mail": mail, "vendor_inbox": user.is_vendor}
    if user.is_vendor:
        context["partners"] = Partner.objects.order_by("name").only("pk", "name")
    else:
        context["end_customers"] = EndCustomer.objects.filter(partner_id=user.partner_id, is_active=True).order_by(
            "number"
        )
    suggested = mail.ticket if mail.ticket_id and tickets_visible_to(user).filter(pk=mail.ticket_id).exists() else None
    context["suggested_ticket"] = suggested
    return render(request, "channels/inbox_mail.html", context)


def _mail_of_inbox(request: HttpRequest, mail_id: int) -> tuple[User, InboundMail]:
    """The mail, when it is in the asker's inbox; 404 otherwise (also for roles without an inbox)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    rows = selectors.inbox_of(user)
    return user, get_visible_or_404(rows if rows is not None else InboundMail.objects.none(), mail_id, user=user)


@login_required
@require_POST
def inbox_accept(request: HttpRequest, mail_id: int) -> HttpResponse:
    user, mail = _mail_of_inbox(request, mail_id)
    ticket_id = object_id(request.POST.get("ticket_id"))
    customer_id = object_id(request.POST.get("end_customer_id"))
    ticket = tickets_visible_to(user).filter(pk=ticket_id).first() if ticket_id else None
    customer = EndCustomer.objects.filter(pk=customer_id, partner_id=user.partner_id).first() if customer_id else None
    try:
        if request.POST.get("ticket_id") and ticket is None:
            raise ValidationError({"ticket_id": _("No ticket of yours has this number.")})
        if request.POST.get("end_customer_id") and customer is None:
            raise ValidationError({"end_customer_id": _("Choose one of your end customers.")})
        done = services.accept(acting_user=user, mail=mail, ticket=ticket, end_customer=customer)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
        return redirect("web:inbox_mail", mail_id=mail.pk)
    messages.success(request, _("The mail is on ticket #%(id)s.") % {"id": done.ticket_id})
    return redirect("web:ticket", ticket_id=done.ticket_id)


@login_required
@require_POST
def inbox_pass(request: HttpRequest, mail_id: int) -> HttpResponse:
    user, mail = _mail_of_inbox(request, mail_id)
    partner = Partner.objects.filter(pk=object_id(request.POST.get("partner_id")) or 0).first()
    try:
        if partner is None:
            raise ValidationError({"partner_id": _("Choose a partner.")})
        services.pass_to_partner(acting_user=user, mail=mail, partner=partner)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
        return redirect("web:inbox_mail", mail_id=mail.pk)
    messages.success(request, _("The mail waits in the inbox of %(partner)s.") % {"partner": partner.name})
    return redirect("web:inbox")


@login_required
@require_POST
def inbox_discard(request: HttpRequest, mail_id: int) -> HttpResponse:
    user, mail = _mail_of_inbox(request, mail_id)
    try:
        services.discard(acting_user=user, mail=mail)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
        return redirect("web:inbox_mail", mail_id=mail.pk)
    messages.success(request, _("The mail was discarded. You find it under “Discarded” and can restore it."))
    return redirect("web:inbox")


@login_required
@require_POST
def inbox_restore(request: HttpRequest, mail_id: int) -> HttpResponse:
    user, mail = _mail_of_inbox(request, mail_id)
    try:
        services.restore(acting_user=user, mail=mail)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The mail waits in the inbox again."))
    return redirect("web:inbox_mail", mail_id=mail.pk)


@login_required
def original(request: HttpRequest, mail_id: int) -> HttpResponse:
    """The received mail exactly as it arrived, as plain text (never rendered as HTML)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    mail = selectors.original_for(user, mail_id)
    if mail is None:
        get_visible_or_404(InboundMail.objects.none(), mail_id, user=user)
        raise Http404
    response = HttpResponse(bytes(mail.raw), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="mail-{mail.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- appointments (R7.2-R7.4): the ticket's appointments, the partner's request, the vendor's day plan -------


def _asker(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _vendor_agent(user: User) -> None:
    """Only the vendor's agents (L2, L3) hold appointments."""
    if not user.is_vendor or user.role not in scheduling.AGENT_ROLES:
        raise PermissionDenied(_("Your role does not allow this action."))


def _moment(value: object) -> datetime | None:
    """A datetime-local field's value, read in the support calendar's zone."""
    try:
        parsed = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=vendor_calendar().zone)
    return parsed


@login_required
@require_POST
def ticket_callback_request(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The partner asks for a callback from the ticket page (R7.2)."""
    user = _asker(request)
    ticket = get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)
    person_id = object_id(request.POST.get("contact_person_id"))
    person = ContactPerson.objects.filter(pk=person_id, end_customer_id=ticket.end_customer_id).first()
    try:
        if request.POST.get("contact_person_id") and person is None:
            raise ValidationError({"contact_person_id": _("Choose a contact person of the ticket's end customer.")})
        wished_from, wished_until = _moment(request.POST.get("wished_from")), _moment(request.POST.get("wished_until"))
        if wished_from is None or wished_until is None:
            raise ValidationError({"wished_from": _("Enter a date and time as ISO 8601 with a time zone.")})
        appointments.request_callback(
            acting_user=user,
            ticket=ticket,
            topic=request.POST.get("topic", ""),
            phone=request.POST.get("phone", ""),
            contact_person=person,
            wished_from=wished_from,
            wished_until=wished_until,
        )
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Your callback request was sent to the vendor."))
    return redirect("web:ticket", ticket_id=ticket.pk)


@login_required
@require_POST
def callback_schedule(request: HttpRequest, callback_id: int) -> HttpResponse:
    """The vendor gives a requested callback its agent and time (R7.2, R6.4)."""
    user = _asker(request)
    rows = selectors.appointments_visible_to(user, kind=AppointmentKind.CALLBACK)
    callback = get_visible_or_404(rows, callback_id, user=user)
    agent = User.objects.filter(
        pk=object_id(request.POST.get("agent_id")) or 0, partner__isnull=True, is_active=True
    ).first()
    try:
        if not user.is_vendor:
            raise PermissionDenied(_("Your role does not allow this action."))
        starts_at = _moment(request.POST.get("starts_at"))
        if starts_at is None:
            raise ValidationError({"starts_at": _("Enter a date and time as ISO 8601 with a time zone.")})
        minutes = object_id(request.POST.get("minutes")) or 30
        appointments.schedule_callback(
            acting_user=user, callback=callback, agent=agent or user, starts_at=starts_at, minutes=minutes
        )
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The callback is scheduled."))
    return redirect("web:ticket", ticket_id=callback.ticket_id)


@login_required
def day_plan(request: HttpRequest) -> HttpResponse:
    """The vendor's day plan: today's or this week's callbacks, meetings and sessions per agent (R7.2-R7.4)."""
    user = _asker(request)
    _vendor_agent(user)
    zone = vendor_calendar().zone
    today = timezone.localdate(timezone.now(), zone)
    week = request.GET.get("span") == "week"
    first = today - timedelta(days=today.weekday()) if week else today
    last = first + timedelta(days=7 if week else 1)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last, time.min, tzinfo=zone)
    plan = selectors.day_plan(user, start=start, end=end)
    waiting = plan.pop(None, [])
    return render(
        request,
        "channels/day_plan.html",
        {
            "week": week,
            "first": first,
            "last": last - timedelta(days=1),
            "agents": sorted(plan.items(), key=lambda item: str(item[0])),
            "waiting": waiting,
            "agent_choices": User.objects.filter(
                partner__isnull=True, is_active=True, role__in=scheduling.AGENT_ROLES
            ).order_by("full_name", "pk"),
        },
    )


@login_required
@require_POST
def appointment_log(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The agent logs a scheduled callback or meeting from the ticket page: it becomes a time entry (R7.2, R7.3)."""
    user = _asker(request)
    rows = selectors.appointments_visible_to(user).filter(
        kind__in=[AppointmentKind.CALLBACK, AppointmentKind.WEB_MEETING]
    )
    appointment = get_visible_or_404(rows, appointment_id, user=user)
    try:
        if not user.is_vendor:
            raise PermissionDenied(_("Your role does not allow this action."))
        started_at, ended_at = _moment(request.POST.get("started_at")), _moment(request.POST.get("ended_at"))
        if started_at is None or ended_at is None:
            raise ValidationError({"started_at": _("Enter a date and time as ISO 8601 with a time zone.")})
        notes = request.POST.get("notes", "")
        if appointment.kind == AppointmentKind.CALLBACK:
            appointments.log_callback(
                acting_user=user,
                callback=appointment,
                started_at=started_at,
                ended_at=ended_at,
                outcome=request.POST.get("outcome", ""),
                notes=notes,
            )
        else:
            appointments.log_meeting(
                acting_user=user, meeting=appointment, started_at=started_at, ended_at=ended_at, notes=notes
            )
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Logged and booked as time."))
    return redirect("web:ticket", ticket_id=appointment.ticket_id)


def _partner_users(ticket: Ticket, values: list[str]) -> list[User]:
    ids = [pk for pk in (object_id(v) for v in values) if pk]
    return list(User.objects.filter(pk__in=ids, partner_id=ticket.partner_id, is_active=True))


@login_required
@require_POST
def ticket_meeting_create(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The vendor schedules a web meeting with the partner's users from the ticket page (R7.3)."""
    user = _asker(request)
    ticket = get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)
    try:
        _vendor_agent(user)
        starts_at = _moment(request.POST.get("starts_at"))
        if starts_at is None:
            raise ValidationError({"starts_at": _("Enter a date and time as ISO 8601 with a time zone.")})
        appointments.create_meeting(
            acting_user=user,
            ticket=ticket,
            starts_at=starts_at,
            minutes=object_id(request.POST.get("minutes")) or 30,
            join_url=request.POST.get("join_url", "").strip(),
            topic=request.POST.get("topic", ""),
            users=_partner_users(ticket, request.POST.getlist("participant_user_ids")),
        )
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The web meeting is scheduled; the invitations are on their way."))
    return redirect("web:ticket", ticket_id=ticket.pk)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The vendor cancels a scheduled web meeting (R7.3): the participants get METHOD:CANCEL."""
    user = _asker(request)
    rows = selectors.appointments_visible_to(user, kind=AppointmentKind.WEB_MEETING)
    meeting = get_visible_or_404(rows, meeting_id, user=user)
    try:
        _vendor_agent(user)
        appointments.cancel_meeting(acting_user=user, meeting=meeting)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The web meeting is cancelled; the participants are told."))
    return redirect("web:ticket", ticket_id=meeting.ticket_id)


@login_required
@require_POST
def ticket_remote_session(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The vendor records a remote session on the partner's system, with the partner user who consented (R7.4)."""
    user = _asker(request)
    ticket = get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)
    try:
        _vendor_agent(user)
        started_at, ended_at = _moment(request.POST.get("started_at")), _moment(request.POST.get("ended_at"))
        if started_at is None or ended_at is None:
            raise ValidationError({"started_at": _("Enter a date and time as ISO 8601 with a time zone.")})
        consenting = _partner_users(ticket, [request.POST.get("consenting_user_id", "")])
        if not consenting:
            raise ValidationError({"consenting_user_id": _("Choose an active user of the ticket's partner.")})
        appointments.record_remote_session(
            acting_user=user,
            ticket=ticket,
            tool=request.POST.get("tool", ""),
            session_id=request.POST.get("session_id", ""),
            started_at=started_at,
            ended_at=ended_at,
            summary=request.POST.get("summary", ""),
            consenting_user=consenting[0],
        )
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The remote session is recorded and booked as time."))
    return redirect("web:ticket", ticket_id=ticket.pk)
