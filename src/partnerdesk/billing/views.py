"""Invoicing pages: invoice data, billing runs with their progress, invoices, cancellation (R10)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.web.errors import add_service_errors, flash_refusal
from partnerdesk.web.paging import page_of

from . import selectors, services
from .choices import RunState
from .forms import BillingRunForm, BillingSettingsForm, CancelInvoiceForm, PartnerBillingForm
from .models import BillingSettings

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def billing_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    selectors.ensure_billing_staff(user)
    form = BillingSettingsForm(request.POST or None, instance=BillingSettings.current())
    if request.method == "POST" and form.is_valid():
        try:
            services.update_billing_settings(acting_user=user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Invoice data saved."))
            return redirect("web:billing_settings")
    return render(request, "billing/settings.html", {"form": form})


@login_required
def partner_billing(request: HttpRequest, partner_id: int) -> HttpResponse:
    user = _user(request)
    partner = account_selectors.get_visible_or_404(account_selectors.partners_visible_to(user), partner_id, user=user)
    if not (selectors.is_billing_staff(user) or (user.role == Role.PARTNER_ADMIN and user.partner_id == partner.pk)):
        raise Http404
    form = PartnerBillingForm(request.POST or None, instance=selectors.billing_profile_of(partner))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_partner_billing(acting_user=user, partner=partner, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Billing data saved."))
            return redirect("web:partner_billing", partner_id=partner.pk)
    return render(request, "billing/partner_billing.html", {"form": form, "partner": partner})


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    selectors.ensure_billing_staff(user)
    default_period = f"{timezone.localdate():%Y-%m}"
    initial = {"period": request.GET.get("period") or default_period, "partner": request.GET.get("partner")}
    form = BillingRunForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.start_billing_run(
                acting_user=user,
                period=form.cleaned_data["period"],
                dry_run=form.cleaned_data["dry_run"],
                partner=form.cleaned_data["partner"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("web:billing_run", run_id=run.pk)
    runs = selectors.billing_runs_visible_to(user).order_by("-created_at", "-pk")
    page = page_of(request, runs, PAGE_SIZE)
    return render(request, "billing/run_list.html", {"form": form, "page": page})


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    user = _user(request)
    run = account_selectors.get_visible_or_404(selectors.billing_runs_visible_to(user), run_id, user=user)
    unfinished = run.state in (RunState.QUEUED, RunState.RUNNING)
    invoices = run.invoices.select_related("partner").order_by("sequence")
    return render(request, "billing/run_detail.html", {"run": run, "unfinished": unfinished, "invoices": invoices})


@login_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    invoices = selectors.invoices_visible_to(user)
    if not (selectors.is_billing_staff(user) or user.is_partner):
        raise Http404
    period = request.GET.get("period", "").strip()
    if period:
        invoices = invoices.filter(period=period[:7])
    page = page_of(request, invoices.order_by("-issued_at", "-pk"), PAGE_SIZE)
    return render(request, "billing/invoice_list.html", {"page": page, "period": period[:7]})


@login_required
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = _user(request)
    invoice = account_selectors.get_visible_or_404(selectors.invoices_visible_to(user), invoice_id, user=user)
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.order_by("position"),
            "cancellations": invoice.cancellations.all(),
            "may_cancel": selectors.is_billing_staff(user),
            "cancel_form": CancelInvoiceForm(),
            "released": selectors.released_by(invoice),
        },
    )


@login_required
@require_POST
def invoice_cancel(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user = _user(request)
    invoice = account_selectors.get_visible_or_404(selectors.invoices_visible_to(user), invoice_id, user=user)
    selectors.ensure_billing_staff(user)
    form = CancelInvoiceForm(request.POST)
    rebill = form.is_valid() and form.cleaned_data["rebill"]
    try:
        cancellation = services.cancel_invoice(acting_user=user, invoice=invoice, rebill=rebill)
    except ValidationError as error:
        flash_refusal(request, error)
        return redirect("web:invoice", invoice_id=invoice.pk)
    messages.success(request, _("Cancellation invoice %(number)s issued.") % {"number": cancellation.number})
    if rebill:
        messages.info(
            request,
            _(
                "Its work is released: correct the time entries, then start a run for this partner "
                "to issue the corrected invoice."
            ),
        )
    return redirect("web:invoice", invoice_id=cancellation.pk)
