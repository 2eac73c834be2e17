"""The inboxes: quarantined mail the vendor admin (vendor's inbox) or a partner admin (partner's inbox) takes
in or discards, and the original of any received mail for whoever may see it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts.models import EndCustomer, Partner, User
from partnerdesk.accounts.selectors import get_visible_or_404
from partnerdesk.tickets.selectors import tickets_visible_to
from partnerdesk.web.errors import flash_refusal
from partnerdesk.web.paging import page_of
from partnerdesk.web.params import object_id

from . import selectors, services
from .choices import InboundOutcome
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
