"""Webhook pages for partner admins (R12.3): endpoints, the secret shown once, deliveries, redelivery."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.web.errors import add_service_errors, flash_refusal
from partnerdesk.web.paging import page_of

from . import selectors, services
from .choices import FINISHED_STATES, DeliveryState, WebhookEvent
from .forms import EndpointForm
from .models import Endpoint

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _endpoint(request: HttpRequest, webhook_id: int) -> Endpoint:
    """The asker's endpoint by id: another partner's is a 404 (logged). The role is checked after every id is
    resolved, so a foreign id is never told apart by a 403."""
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.endpoints_visible_to(user), webhook_id, user=user)


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    services.ensure_may_manage(user)
    form = EndpointForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.register_endpoint(
                acting_user=user, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            form = EndpointForm()
    endpoints = selectors.endpoints_visible_to(user).order_by("-created_at", "-pk")
    page = page_of(request, endpoints, PAGE_SIZE)
    response = render(
        request,
        "webhooks/endpoint_list.html",
        {"page": page, "form": form, "created": created, "secret": secret, "event_labels": dict(WebhookEvent.choices)},
    )
    if secret is not None:
        patch_cache_control(response, no_store=True)  # the secret stays out of every cache
    return response


@login_required
def webhook_detail(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    services.ensure_may_manage(_user(request))
    deliveries = selectors.deliveries_visible_to(_user(request), endpoint)
    page = page_of(request, deliveries, PAGE_SIZE)
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "event_labels": dict(WebhookEvent.choices),
            "redeliverable": [*FINISHED_STATES, DeliveryState.PENDING, DeliveryState.RETRYING],
        },
    )


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    services.delete_endpoint(acting_user=_user(request), endpoint=endpoint)
    messages.success(request, _("The endpoint was deleted; it receives nothing more."))
    return redirect("web:webhooks")


@login_required
@require_POST
def webhook_redeliver(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    endpoint = _endpoint(request, webhook_id)
    user = _user(request)
    delivery = account_selectors.get_visible_or_404(
        selectors.deliveries_visible_to(user, endpoint), delivery_id, user=user
    )
    try:
        services.redeliver(acting_user=user, delivery=delivery)
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The delivery is queued again; the worker sends it in its next round."))
    return redirect("web:webhook", webhook_id=endpoint.pk)
