"""Time booking from the ticket page (R4.1); the entries are listed on the ticket and contract pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.tickets.selectors import tickets_visible_to
from partnerdesk.web.errors import flash_form_errors, flash_refusal

from . import selectors, services
from .forms import TimeEntryForm


@login_required
@require_POST
def ticket_time(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Book work on the ticket; charged to the contract chosen at escalation (R3.3, R4.1)."""
    user: User = request.user  # type: ignore[assignment]
    ticket = account_selectors.get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("web:ticket", ticket_id=ticket.pk)
    try:
        services.book_time_entry(acting_user=user, ticket=ticket, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Time booked."))
    return redirect("web:ticket", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_time_delete(request: HttpRequest, ticket_id: int, time_entry_id: int) -> HttpResponse:
    """Take back an entry booked by mistake (its units return to the term; the history keeps it, R4.7)."""
    user: User = request.user  # type: ignore[assignment]
    ticket = account_selectors.get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)
    entries = selectors.time_entries_visible_to(user).filter(ticket=ticket)
    entry = account_selectors.get_visible_or_404(entries, time_entry_id, user=user)
    try:
        services.delete_time_entry(acting_user=user, entry=entry)
    except (ValidationError, PermissionDenied) as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Time entry deleted."))
    return redirect("web:ticket", ticket_id=ticket.pk)
