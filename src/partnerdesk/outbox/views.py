"""The outbox pages: vendor admins see every outbound mail's state and can send a failed one again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.accounts.selectors import get_visible_or_404
from partnerdesk.web.paging import page_of

from . import selectors, services
from .choices import RETRYABLE_STATES, OutboxState

PAGE_SIZE = 50


def _admin(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.role != Role.VENDOR_ADMIN:
        raise PermissionDenied(_("Your role does not allow this action."))
    return user


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # login_required ran first
        raise PermissionDenied
    return user


@login_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    state = request.GET.get("state", "")
    if state not in OutboxState.values:
        state = ""
    rows = selectors.messages_visible_to(user).defer("body", "html", "attachments", "headers")
    if state:
        rows = rows.filter(state=state)
    page = page_of(request, rows.order_by("-created_at", "-pk"), PAGE_SIZE)
    return render(
        request,
        "outbox/list.html",
        {"page": page, "state": state, "states": OutboxState.choices, "retryable": RETRYABLE_STATES},
    )


@login_required
def outbox_message(request: HttpRequest, outbox_message_id: int) -> HttpResponse:
    user = _user(request)
    row = get_visible_or_404(selectors.messages_visible_to(user), outbox_message_id, user=user)
    return render(request, "outbox/detail.html", {"row": row, "retryable": row.state in RETRYABLE_STATES})


@login_required
@require_POST
def outbox_retry(request: HttpRequest, outbox_message_id: int) -> HttpResponse:
    user = _user(request)
    row = get_visible_or_404(selectors.messages_visible_to(user), outbox_message_id, user=user)
    try:
        services.retry_now(acting_user=user, message=row)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The message is queued again; the worker sends it in its next round."))
    return redirect("web:outbox_message", outbox_message_id=row.pk)
