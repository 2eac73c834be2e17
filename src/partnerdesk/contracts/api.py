"""Contracts API: plans, contracts (create, activate, cancel), usage."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.billing import selectors as billing_selectors

from . import pricing, selectors, services
from .models import Contract

router = Router(tags=["contracts"])

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2, examples=["22.25"])]
Scope = Literal["contract_term", "ticket"]
StateName = Literal["draft", "active", "cancelled", "ended"]
# Usage can be asked for any day a contract can run on (and every term date stays computable).
USAGE_DAYS = (date(1970, 1, 1), date(2999, 12, 31))


# --- schemas ------------------------------------------------------------------------------------


class RateTierOut(Schema):
    from_unit: int = Field(..., description="The tier applies from this charged unit of its scope (0-based).")
    unit_price: Decimal


class RateTierIn(Strict):
    from_unit: StrictInt = Field(..., ge=0, le=100_000)
    unit_price: Money


class PlanValuesOut(Schema):
    currency: str
    fee: Decimal = Field(..., description="Fee per term, net.")
    term_months: int | None = Field(..., description="Empty: no fixed term (runs until cancelled).")
    notice_days: int
    included_minutes_per_term: int
    unit_minutes: int
    rate_scope: Scope
    rate_tiers: list[RateTierOut]
    minimum_units_per_ticket: int
    first_response_minutes: int | None = Field(..., description="First-response target in support minutes (R6.3).")
    resolution_minutes: int | None = Field(..., description="Resolution target in support minutes (R6.3).")

    @staticmethod
    def resolve_rate_tiers(obj: Any) -> list[dict[str, Any]]:
        return [{"from_unit": from_unit, "unit_price": pricing.money(cents)} for from_unit, cents in obj.tier_values()]


class PlanOut(PlanValuesOut):
    id: int
    code: str
    name: str
    description: str
    partner_id: int | None = Field(..., description="Set for one partner's individual plan.")
    is_standard: bool
    is_active: bool


class PlanValuesIn(Strict):
    """Plan values; in a contract's ``overrides`` each one given replaces the plan's (R2.2)."""

    currency: Literal["EUR"] | None = None
    fee: Money | None = None
    term_months: StrictInt | None = Field(None, ge=1, le=120)
    notice_days: StrictInt | None = Field(None, ge=0, le=3650)
    included_minutes_per_term: StrictInt | None = Field(None, ge=0, le=1_000_000)
    unit_minutes: StrictInt | None = Field(None, ge=1, le=1440)
    rate_scope: Scope | None = None
    rate_tiers: list[RateTierIn] | None = Field(None, max_length=20)
    minimum_units_per_ticket: StrictInt | None = Field(None, ge=0, le=1000)
    first_response_minutes: StrictInt | None = Field(None, ge=1, le=1_000_000)
    resolution_minutes: StrictInt | None = Field(None, ge=1, le=1_000_000)


class PlanIn(PlanValuesIn):
    code: str = Field(..., min_length=1, max_length=30)
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    partner_id: StrictInt | None = Field(None, description="Make it this partner's individual plan.")
    fee: Money = Decimal("0.00")
    rate_scope: Scope
    rate_tiers: list[RateTierIn] = Field(..., max_length=20)


class ContractOut(PlanValuesOut):
    id: int
    partner_id: int
    partner_name: str
    plan_id: int
    plan_code: str
    plan_name: str
    state: StateName
    start_date: date
    end_date: date | None = Field(..., description="Last day covered; set when cancelled.")
    covers_all_end_customers: bool
    end_customer_ids: list[int]
    overridden_values: list[str] = Field(..., description="Plan values this contract overrides (R2.2).")
    created_at: datetime
    cancelled_at: datetime | None

    @staticmethod
    def resolve_partner_name(obj: Contract) -> str:
        return obj.partner.name

    @staticmethod
    def resolve_plan_code(obj: Contract) -> str:
        return obj.plan.code

    @staticmethod
    def resolve_plan_name(obj: Contract) -> str:
        return obj.plan.name

    @staticmethod
    def resolve_end_customer_ids(obj: Contract) -> list[int]:
        return sorted(ec.pk for ec in obj.end_customers.all())

    @staticmethod
    def resolve_overridden_values(obj: Contract) -> list[str]:
        return obj.overridden_values()


class ContractIn(Strict):
    partner_id: StrictInt
    plan_id: StrictInt
    start_date: date
    covers_all_end_customers: StrictBool = True
    end_customer_ids: list[StrictInt] = Field([], max_length=1000)
    overrides: PlanValuesIn | None = None
    activate: StrictBool = Field(True, description="Activate at once; false leaves a draft.")
    reason: str = Field("", max_length=2000)


class ReasonIn(Strict):
    reason: str = Field("", max_length=2000)


class ContractEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    kind: str
    from_state: str
    to_state: str
    reason: str

    @staticmethod
    def resolve_actor_name(obj: Any) -> str:
        return str(obj.actor) if obj.actor else ""


class TermUsageOut(Schema):
    number: int
    start_date: date
    end_date: date | None
    unit_minutes: int
    included_units_granted: int
    included_units_used: int
    included_units_left: int
    included_minutes_granted: int
    included_minutes_used: int
    included_minutes_left: int
    percent_used: int
    extra_units: int
    charged_units: int
    extra_amount: Decimal
    fee: Decimal
    currency: str


class PreviewLineOut(Schema):
    description: str
    ticket_id: int | None
    quantity: int
    unit_price: Decimal
    amount: Decimal


class InvoicePreviewOut(Schema):
    currency: str
    lines: list[PreviewLineOut]
    total: Decimal


class UsageOut(Schema):
    contract_id: int
    day: date
    current: TermUsageOut | None
    terms: list[TermUsageOut]
    next_invoice: InvoicePreviewOut


class ContractRequestIn(Strict):
    message: str = Field(..., min_length=1, max_length=5000)


class ContractRequestOut(Schema):
    id: int
    partner_id: int
    message: str
    created_at: datetime


# --- helpers ------------------------------------------------------------------------------------


def _values(schema: PlanValuesIn | None) -> dict[str, Any]:
    if schema is None:
        return {}
    values = schema.model_dump(exclude_unset=True, include=set(services.PLAN_VALUE_INPUTS))
    if "rate_tiers" in values and values["rate_tiers"] is None:
        values.pop("rate_tiers")
    return values


def _contract(request: HttpRequest, contract_id: ObjectId) -> Contract:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.contracts_visible_to(user), contract_id, user=user)


# --- plans --------------------------------------------------------------------------------------


@router.get("/plans", response=list[PlanOut], summary="Plans (contract models) the user may see")
@paginate(LimitOffset)
def list_plans(request: HttpRequest, offered_only: bool = False):  # type: ignore[no-untyped-def]
    plans = selectors.plans_visible_to(_user(request))
    if offered_only:
        plans = plans.filter(is_active=True)
    return plans


@router.get("/plans/{plan_id}", response=PlanOut, summary="One plan")
def get_plan(request: HttpRequest, plan_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.plans_visible_to(user), plan_id, user=user)


@router.post("/plans", response={201: PlanOut}, summary="Create a custom plan (Sales)")
def create_plan(request: HttpRequest, payload: PlanIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    partner = None
    if payload.partner_id is not None:
        partner = account_selectors.get_visible_or_404(
            account_selectors.partners_visible_to(user), payload.partner_id, user=user
        )
    values = _values(payload)
    plan = services.create_plan(
        acting_user=user,
        code=payload.code,
        name=payload.name,
        description=payload.description,
        partner=partner,
        values=values,
    )
    return Status(201, plan)


# --- contracts ----------------------------------------------------------------------------------


@router.get("/contracts", response=list[ContractOut], summary="Contracts the user may see")
@paginate(LimitOffset)
def list_contracts(  # type: ignore[no-untyped-def]
    request: HttpRequest, state: StateName | None = None, partner_id: ObjectId | None = None
):
    contracts = selectors.contracts_visible_to(_user(request)).prefetch_related("end_customers")
    if state is not None:
        contracts = contracts.filter(state=state)
    if partner_id is not None:
        contracts = contracts.filter(partner_id=partner_id)
    return contracts.order_by("-start_date", "-pk")


@router.post("/contracts", response={201: ContractOut}, summary="Create a contract (Sales)")
def create_contract(request: HttpRequest, payload: ContractIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    partner = account_selectors.get_visible_or_404(
        account_selectors.partners_visible_to(user), payload.partner_id, user=user
    )
    plan = account_selectors.get_visible_or_404(selectors.plans_visible_to(user), payload.plan_id, user=user)
    end_customers = [
        account_selectors.get_visible_or_404(account_selectors.end_customers_visible_to(user), pk, user=user)
        for pk in dict.fromkeys(payload.end_customer_ids)
    ]
    contract = services.create_contract(
        acting_user=user,
        partner=partner,
        plan=plan,
        start_date=payload.start_date,
        covers_all_end_customers=payload.covers_all_end_customers,
        end_customers=end_customers,
        overrides=_values(payload.overrides),
        activate=payload.activate,
        reason=payload.reason,
    )
    return Status(201, _contract(request, contract.pk))


@router.get("/contracts/{contract_id}", response=ContractOut, summary="One contract")
def get_contract(request: HttpRequest, contract_id: ObjectId):  # type: ignore[no-untyped-def]
    return _contract(request, contract_id)


@router.post("/contracts/{contract_id}/activate", response=ContractOut, summary="Activate a draft (Sales)")
def activate_contract(request: HttpRequest, contract_id: ObjectId, payload: ReasonIn):  # type: ignore[no-untyped-def]
    contract = _contract(request, contract_id)
    services.activate_contract(acting_user=_user(request), contract=contract, reason=payload.reason)
    return _contract(request, contract_id)


@router.post(
    "/contracts/{contract_id}/cancel",
    response=ContractOut,
    summary="Cancel a contract: it runs to the end of its term (R3.1, R3.4)",
)
def cancel_contract(request: HttpRequest, contract_id: ObjectId, payload: ReasonIn):  # type: ignore[no-untyped-def]
    contract = _contract(request, contract_id)
    services.cancel_contract(acting_user=_user(request), contract=contract, reason=payload.reason)
    return _contract(request, contract_id)


@router.get("/contracts/{contract_id}/events", response=list[ContractEventOut], summary="A contract's history")
@paginate(LimitOffset)
def list_contract_events(request: HttpRequest, contract_id: ObjectId):  # type: ignore[no-untyped-def]
    return selectors.contract_events(_contract(request, contract_id))


@router.get(
    "/contracts/{contract_id}/usage",
    response=UsageOut,
    summary="Included time used and left, extra so far, per term, and the next invoice (R10.7)",
)
def get_contract_usage(request: HttpRequest, contract_id: ObjectId, day: date | None = None):  # type: ignore[no-untyped-def]
    contract = _contract(request, contract_id)
    if day is not None and not USAGE_DAYS[0] <= day <= USAGE_DAYS[1]:
        raise ValidationError(
            {
                "day": _("Enter a date between %(first)s and %(last)s.")
                % {"first": USAGE_DAYS[0].isoformat(), "last": USAGE_DAYS[1].isoformat()}
            }
        )
    usage = billing_selectors.contract_usage(contract, at=day)
    return UsageOut(
        contract_id=contract.pk,
        day=usage.day,
        current=_term_out(usage.current) if usage.current else None,
        terms=[_term_out(t) for t in usage.terms],
        next_invoice=InvoicePreviewOut(
            currency=usage.next_invoice.currency,
            lines=[PreviewLineOut(**vars(line)) for line in usage.next_invoice.lines],
            total=usage.next_invoice.total,
        ),
    )


def _term_out(term: selectors.TermUsage) -> TermUsageOut:
    names = [name for name in TermUsageOut.model_fields]
    return TermUsageOut(**{name: getattr(term, name) for name in names})


@router.post("/contract-requests", response={201: ContractRequestOut}, summary="Ask Sales for an individual contract")
def request_individual_contract(request: HttpRequest, payload: ContractRequestIn):  # type: ignore[no-untyped-def]
    created = services.request_individual_contract(acting_user=_user(request), message=payload.message)
    return Status(201, created)
