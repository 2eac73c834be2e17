"""/healthz, /readyz and /metrics (issue 17 items 2 and 3): no session, no CSRF, no data revealed."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import health


@csrf_exempt
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers (liveness): no database, no checks."""
    return JsonResponse({"status": "ok"})


@csrf_exempt
@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Database reachable, migrations applied, a worker's heartbeat fresh, the outbox moving: 200, else 503."""
    ready, checks = health.readiness()
    return JsonResponse({"status": "ready" if ready else "unready", "checks": checks}, status=200 if ready else 503)


@csrf_exempt
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, with `Authorization: Bearer <PARTNERDESK_METRICS_TOKEN>`; no token set: 404."""
    token = settings.PARTNERDESK_METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "")
    scheme, _space, value = given.partition(" ")
    if not given:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        return HttpResponse(status=403)
    from prometheus_client import CONTENT_TYPE_LATEST

    from .metrics import exposition

    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def _contact_for(request: HttpRequest, partner_id: int, end_customer_id: int, contact_person_id: int):  # type: ignore[no-untyped-def]
    from partnerdesk.accounts import selectors
    from partnerdesk.accounts.models import ContactPerson

    user = request.user
    customers = selectors.end_customers_visible_to(user).filter(partner_id=partner_id)  # type: ignore[arg-type]
    customer = selectors.get_visible_or_404(customers, end_customer_id, user=user)  # type: ignore[arg-type]
    contacts = ContactPerson.objects.filter(end_customer=customer).select_related("end_customer")
    return selectors.get_visible_or_404(contacts, contact_person_id, user=user)  # type: ignore[arg-type]


@login_required
@require_GET
def personal_data(request: HttpRequest, partner_id: int, end_customer_id: int, contact_person_id: int) -> HttpResponse:
    """A partner admin's page for one contact person's personal-data request: export (JSON) and erase."""
    from .personal_data import _may_ask, export

    contact = _contact_for(request, partner_id, end_customer_id, contact_person_id)
    if request.GET.get("download"):
        data = export(acting_user=request.user, contact=contact)  # type: ignore[arg-type]
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="personal-data-{contact.pk}.json"'
        return response
    _may_ask(request.user, contact)  # type: ignore[arg-type]  # PermissionDenied: 403
    return render(request, "ops/personal_data.html", {"contact": contact, "end_customer": contact.end_customer})


@login_required
@require_POST
def personal_data_erase(
    request: HttpRequest, partner_id: int, end_customer_id: int, contact_person_id: int
) -> HttpResponse:
    from .personal_data import erase

    contact = _contact_for(request, partner_id, end_customer_id, contact_person_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the erasure."))
        return redirect("ops:personal_data", partner_id, end_customer_id, contact_person_id)
    erase(acting_user=request.user, contact=contact)  # type: ignore[arg-type]
    messages.success(request, _("The contact person's personal data was erased."))
    return redirect("web:end_customer", partner_id=partner_id, end_customer_id=end_customer_id)
