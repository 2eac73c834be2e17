"""Contract and plan pages: thin views that parse input, call a selector or service, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.billing import selectors as billing_selectors
from partnerdesk.tickets import selectors as ticket_selectors
from partnerdesk.web.errors import add_service_errors
from partnerdesk.web.paging import page_of
from partnerdesk.web.params import object_id
from partnerdesk.worklog import selectors as worklog_selectors

from . import selectors, services
from .choices import (
    CONTRACT_CANCEL_ROLES,
    CONTRACT_MANAGER_ROLES,
    CONTRACT_REQUEST_ROLES,
    PLAN_MANAGER_ROLES,
    ContractState,
)
from .forms import ContractForm, ContractRequestForm, PlanForm, ReasonForm

PAGE_SIZE = 25
# Service error names (API field names) and the form fields that show them.
_FORM_FIELDS = {"partner_id": "partner", "plan_id": "plan", "end_customer_ids": "end_customers"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(user: User, roles: tuple[str, ...]) -> None:
    if not user.is_active or user.role not in roles:
        raise PermissionDenied(_("Your role does not allow this action."))


def _contract_or_404(request: HttpRequest, contract_id: int) -> Any:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.contracts_visible_to(user), contract_id, user=user)


# --- contracts ----------------------------------------------------------------------------------


@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    """Vendor: every contract with its use; partner: its own contracts and their use (R10.7)."""
    user = _user(request)
    queryset = selectors.contracts_visible_to(user).prefetch_related("terms").order_by("-start_date", "-pk")
    state = request.GET.get("state", "")
    if state in ContractState.values:
        queryset = queryset.filter(state=state)
    query = request.GET.get("q", "").strip()
    if query and user.is_vendor:
        queryset = queryset.filter(partner__name__icontains=query)
    page = page_of(request, queryset, PAGE_SIZE)
    rows = [(contract, selectors.current_term_usage(contract)) for contract in page]
    return render(
        request,
        "contracts/contract_list.html",
        {
            "page": page,
            "rows": rows,
            "q": query,
            "state": state,
            "states": ContractState.choices,
            "may_create": user.role in CONTRACT_MANAGER_ROLES,
            "request_form": ContractRequestForm() if user.role in CONTRACT_REQUEST_ROLES else None,
        },
    )


@login_required
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = _user(request)
    contract = _contract_or_404(request, contract_id)
    usage = billing_selectors.contract_usage(contract)
    entries = (
        worklog_selectors.time_entries_visible_to(user)
        .filter(contract=contract)
        .select_related("ticket")
        .order_by("-started_at", "-pk")[:50]
    )
    entries = list(entries)
    # Each entry with its ticket as the asker may read it (the vendor: subject masked, R9.1).
    tickets = ticket_selectors.shown(user, [e.ticket for e in entries])
    may_cancel = user.role in CONTRACT_CANCEL_ROLES and contract.state_on(usage.day) in (
        ContractState.DRAFT,
        ContractState.ACTIVE,
    )
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "usage": usage,
            "events": selectors.contract_events(contract),
            "entries": list(zip(entries, tickets, strict=True)),
            "end_customers": contract.end_customers.select_related("partner"),
            "overridden": set(contract.overridden_values()),
            "may_cancel": may_cancel,
            "may_activate": user.role in CONTRACT_MANAGER_ROLES and contract.state == ContractState.DRAFT,
            "reason_form": ReasonForm(),
        },
    )


@login_required
@require_POST
def contract_cancel(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract_or_404(request, contract_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        contract = services.cancel_contract(acting_user=_user(request), contract=contract, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if contract.end_date:
            messages.success(
                request, _("The contract is cancelled; it runs until %(day)s.") % {"day": contract.end_date.isoformat()}
            )
        else:
            messages.success(request, _("The contract has ended."))
    return redirect("web:contract", contract_id=contract.pk)


@login_required
@require_POST
def contract_activate(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract_or_404(request, contract_id)
    try:
        services.activate_contract(acting_user=_user(request), contract=contract)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The contract is active."))
    return redirect("web:contract", contract_id=contract.pk)


@login_required
def contract_create(request: HttpRequest) -> HttpResponse:
    """Sales binds a partner to a plan, optionally overriding plan values (R2.2, R3.1, R3.3)."""
    user = _user(request)
    _require(user, CONTRACT_MANAGER_ROLES)
    partners = account_selectors.partners_visible_to(user).filter(is_active=True)
    data = request.POST if request.method == "POST" else None
    partner_id = object_id((data or request.GET).get("partner"))
    partner = partners.filter(pk=partner_id).first() if partner_id is not None else None
    end_customers = account_selectors.end_customers_visible_to(user).filter(partner=partner, is_active=True)
    plans = selectors.plans_visible_to(user).filter(is_active=True)
    if partner is not None:
        plans = plans.filter(partner__isnull=True) | plans.filter(partner=partner)
    form = ContractForm(
        data, user=user, partners=partners, plans=plans, end_customers=end_customers, initial={"partner": partner}
    )
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        return render(request, "contracts/partials/contract_partner_fields.html", {"form": form})
    if data is not None and form.is_valid():
        try:
            contract = services.create_contract(
                acting_user=user,
                partner=form.cleaned_data["partner"],
                plan=form.cleaned_data["plan"],
                start_date=form.cleaned_data["start_date"],
                covers_all_end_customers=form.cleaned_data["covers_all_end_customers"],
                end_customers=form.cleaned_data["end_customers"],
                overrides=form.given_values(),
                activate=form.cleaned_data["activate"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error, renamed=_FORM_FIELDS)
        else:
            messages.success(request, _("Contract %(contract)s was created.") % {"contract": contract.label})
            return redirect("web:contract", contract_id=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form})


@login_required
@require_POST
def contract_request(request: HttpRequest) -> HttpResponse:
    """A partner admin asks Sales for an individual contract (R2.2)."""
    form = ContractRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_individual_contract(acting_user=_user(request), message=form.cleaned_data["message"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your request was sent to Sales."))
    else:
        messages.error(request, _("Please describe what you need."))
    return redirect("web:contracts")


# --- plans --------------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    plans = selectors.plans_visible_to(user).select_related("partner")
    if user.is_partner:
        plans = plans.filter(is_active=True)
    return render(
        request,
        "contracts/plan_list.html",
        {"plans": plans, "may_create": user.role in PLAN_MANAGER_ROLES},
    )


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    """Sales makes a custom plan, for everyone or as one partner's individual plan (R2.2)."""
    user = _user(request)
    _require(user, PLAN_MANAGER_ROLES)
    partners = account_selectors.partners_visible_to(user).filter(is_active=True)
    form = PlanForm(request.POST or None, partners=partners)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.create_plan(
                acting_user=user,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                partner=form.cleaned_data["partner"],
                values=form.given_values(),
            )
        except ValidationError as error:
            add_service_errors(form, error, renamed=_FORM_FIELDS)
        else:
            messages.success(request, _("Plan %(plan)s was created.") % {"plan": plan.name})
            return redirect("web:plans")
    return render(request, "contracts/plan_form.html", {"form": form})
