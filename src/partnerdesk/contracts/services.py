"""Every write to plans and contracts: keyword-only functions that check the acting
user's right and run in one transaction. Ledger writes lock through ``locks`` (contract, then term).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import EndCustomer, Partner, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.accounts.validation import FieldErrors, add_error, choose_one_of, is_int, merge_errors

from . import locks, mail, pricing
from .choices import (
    CONTRACT_CANCEL_ROLES,
    CONTRACT_MANAGER_ROLES,
    CONTRACT_REQUEST_ROLES,
    MAX_UNIT_MINUTES,
    PLAN_MANAGER_ROLES,
    RUNNING_STATES,
    STANDARD_PLANS,
    ContractEventKind,
    ContractState,
    Currency,
)
from .models import (
    Contract,
    ContractEvent,
    ContractRequest,
    ContractTerm,
    Plan,
)

# Plan values as callers give them (money as Decimal), in the order forms show them.
PLAN_VALUE_INPUTS = (
    "currency",
    "fee",
    "term_months",
    "notice_days",
    "included_minutes_per_term",
    "unit_minutes",
    "rate_scope",
    "rate_tiers",
    "minimum_units_per_ticket",
    "first_response_minutes",
    "resolution_minutes",
)
# Bounds that keep every value meaningful (and every date computable).
_INT_BOUNDS = {
    "term_months": (1, 120),
    "notice_days": (0, 3650),
    "included_minutes_per_term": (0, 1_000_000),
    "unit_minutes": (1, MAX_UNIT_MINUTES),
    "minimum_units_per_ticket": (0, 1000),
    "first_response_minutes": (1, 1_000_000),
    "resolution_minutes": (1, 1_000_000),
}
# Values that may be empty (None): no fixed term, no service-level target.
_NULLABLE = {"term_months", "first_response_minutes", "resolution_minutes"}
_MAX_CENTS = 100_000_000_00  # 100 million per fee or unit: anything larger is a typing error
_MAX_TIERS = 20
_START_YEARS_BACK = 10
_START_YEARS_AHEAD = 5


def _cents(value: Any, field_name: str, errors: FieldErrors) -> int | None:
    """A money amount (Decimal, int or decimal string) as cents; more than 2 places is an error."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if isinstance(value, bool | float):
            raise InvalidOperation
        cents = pricing.cents_of(amount)
    except (InvalidOperation, ValueError, TypeError):
        add_error(errors, field_name, _("Enter an amount with at most two decimal places."))
        return None
    if not 0 <= cents <= _MAX_CENTS:
        add_error(errors, field_name, _("Enter an amount between 0 and %(max)s.") % {"max": pricing.money(_MAX_CENTS)})
        return None
    return cents


def _tier_message(problem: str) -> str:
    return {
        pricing.TIERS_EMPTY: _("Give at least one rate."),
        pricing.TIERS_FIRST_NOT_ZERO: _("The first rate must start at unit 0."),
        pricing.TIERS_NOT_ASCENDING: _("Rates must start at ascending units."),
        pricing.TIERS_NEGATIVE_PRICE: _("Prices cannot be negative."),
    }.get(problem, _("Enter whole numbers for units."))


def plan_values_from_input(
    values: Mapping[str, Any], *, base: Mapping[str, Any] | None = None, prefix: str = ""
) -> dict[str, Any]:
    """Validate plan values given as inputs (``PLAN_VALUE_INPUTS``) and return them as stored values.

    Missing values come from ``base`` (stored values, e.g. the plan a contract overrides). All
    problems are reported at once, as field errors named ``prefix + input name`` (R13.1).
    """
    errors: FieldErrors = {}
    for name in values:
        if name not in PLAN_VALUE_INPUTS:
            add_error(errors, f"{prefix}{name}", _("Unknown field."))
    stored: dict[str, Any] = dict(base or {})
    if "currency" in values:
        if values["currency"] not in Currency.values:
            add_error(errors, f"{prefix}currency", choose_one_of(Currency.values))
        stored["currency"] = values["currency"]
    stored.setdefault("currency", Currency.EUR)
    if "fee" in values:
        stored["fee_cents"] = _cents(values["fee"], f"{prefix}fee", errors)
    for name, (low, high) in _INT_BOUNDS.items():
        if name not in values:
            continue
        value = values[name]
        if name in _NULLABLE and value is None:
            stored[name] = None
        elif not is_int(value) or not low <= value <= high:
            add_error(
                errors,
                f"{prefix}{name}",
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            )
        else:
            stored[name] = value
    if "rate_scope" in values:
        if values["rate_scope"] not in pricing.SCOPES:
            add_error(errors, f"{prefix}rate_scope", choose_one_of(pricing.SCOPES))
        stored["rate_scope"] = values["rate_scope"]
    if "rate_tiers" in values:
        stored["rate_tiers"] = _tiers_from_input(values["rate_tiers"], f"{prefix}rate_tiers", errors)
    for name, default in (
        ("fee_cents", 0),
        ("notice_days", 0),
        ("included_minutes_per_term", 0),
        ("unit_minutes", 15),
        ("minimum_units_per_ticket", 0),
        ("term_months", None),
        ("first_response_minutes", None),
        ("resolution_minutes", None),
    ):
        stored.setdefault(name, default)
    if "rate_scope" not in stored:
        add_error(errors, f"{prefix}rate_scope", _("This field is required."))
    if "rate_tiers" not in stored:
        add_error(errors, f"{prefix}rate_tiers", _("This field is required."))
    if not errors:
        included, unit = stored["included_minutes_per_term"], stored["unit_minutes"]
        if included % unit:
            add_error(
                errors,
                f"{prefix}included_minutes_per_term",
                _("Give the included time as a multiple of the billing unit (%(unit)s minutes).") % {"unit": unit},
            )
        if stored["term_months"] is None and included:
            add_error(
                errors,
                f"{prefix}included_minutes_per_term",
                _("A plan without fixed term cannot include time: there is no term for it to expire."),
            )
    if errors:
        raise ValidationError(errors)
    return stored


def _tiers_from_input(value: Any, field_name: str, errors: FieldErrors) -> list[dict[str, int]]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= _MAX_TIERS:
        add_error(errors, field_name, _("Give between 1 and %(max)s rates.") % {"max": _MAX_TIERS})
        return []
    tiers: list[dict[str, int]] = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) - {"from_unit", "unit_price"}:
            add_error(errors, f"{field_name}.{index}", _("Give from_unit and unit_price."))
            continue
        from_unit = item.get("from_unit")
        if not is_int(from_unit) or not 0 <= from_unit <= 100_000:
            add_error(
                errors,
                f"{field_name}.{index}.from_unit",
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": 0, "high": 100_000},
            )
            continue
        cents = _cents(item.get("unit_price"), f"{field_name}.{index}.unit_price", errors)
        if cents is not None:
            tiers.append({"from_unit": from_unit, "unit_price_cents": cents})
    if len(tiers) == len(value):
        problem = pricing.tier_problem([pricing.RateTier(t["from_unit"], t["unit_price_cents"]) for t in tiers])
        if problem is not None:
            add_error(errors, field_name, _tier_message(problem))
    return tiers


# --- plans --------------------------------------------------------------------------------------


@transaction.atomic
def install_standard_plans() -> list[Plan]:
    """L, M and S with the source's values (R2.1); the migration does the same on first start."""
    plans = []
    for values in STANDARD_PLANS:
        plan, _created = Plan.objects.get_or_create(
            code=values["code"], defaults={**{k: v for k, v in values.items() if k != "code"}, "is_standard": True}
        )
        plans.append(plan)
    return plans


@transaction.atomic
def create_plan(
    *,
    acting_user: User,
    code: str,
    name: str,
    description: str = "",
    partner: Partner | None = None,
    values: Mapping[str, Any],
) -> Plan:
    """Sales makes a custom plan (R2.2): for everyone, or as one partner's individual plan."""
    ensure_role(acting_user, *PLAN_MANAGER_ROLES)
    errors: FieldErrors = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        add_error(errors, "code", _("This field is required."))
    elif len(code) > 30:
        add_error(errors, "code", _("Use at most %(max)s characters.") % {"max": 30})
    elif Plan.objects.filter(code__iexact=code).exists():
        add_error(errors, "code", _("A plan with this code already exists."))
    if not name:
        add_error(errors, "name", _("This field is required."))
    elif len(name) > 200:
        add_error(errors, "name", _("Use at most %(max)s characters.") % {"max": 200})
    try:
        stored = plan_values_from_input(values)
    except ValidationError as error:
        merge_errors(errors, error)
        stored = {}
    if errors:
        raise ValidationError(errors)
    return Plan.objects.create(
        code=code, name=name, description=description or "", partner=partner, created_by=acting_user, **stored
    )


@transaction.atomic
def set_plan_offered(*, acting_user: User, plan: Plan, offered: bool) -> Plan:
    """A plan no longer offered keeps its contracts; it just cannot be chosen for new ones."""
    ensure_role(acting_user, *PLAN_MANAGER_ROLES)
    plan.is_active = offered
    plan.save(update_fields=["is_active"])
    return plan


# --- contracts ----------------------------------------------------------------------------------


def _event(
    contract: Contract,
    *,
    actor: User | None,
    kind: str,
    from_state: str,
    to_state: str,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> ContractEvent:
    return ContractEvent.objects.create(
        contract=contract,
        at=timezone.now(),
        actor=actor,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        reason=(reason or "")[:2000],
        details=dict(details or {}),
    )


def _check_start_date(start_date: Any, errors: FieldErrors) -> None:
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        add_error(errors, "start_date", _("Enter a date as YYYY-MM-DD."))
        return
    today = timezone.localdate()
    earliest = pricing.add_months(today, -12 * _START_YEARS_BACK)
    latest = pricing.add_months(today, 12 * _START_YEARS_AHEAD)
    if not earliest <= start_date <= latest:
        add_error(
            errors,
            "start_date",
            _("Enter a start between %(earliest)s and %(latest)s.")
            % {"earliest": earliest.isoformat(), "latest": latest.isoformat()},
        )


@transaction.atomic
def create_contract(
    *,
    acting_user: User,
    partner: Partner,
    plan: Plan,
    start_date: date,
    covers_all_end_customers: bool = True,
    end_customers: Iterable[EndCustomer] = (),
    overrides: Mapping[str, Any] | None = None,
    activate: bool = True,
    reason: str = "",
) -> Contract:
    """Sales binds a partner to a plan (R3.1), optionally overriding plan values (R2.2) and limiting
    it to listed end customers (R3.3). The plan's values are copied onto the contract.
    """
    ensure_role(acting_user, *CONTRACT_MANAGER_ROLES)
    errors: FieldErrors = {}
    if not partner.is_active:
        add_error(errors, "partner_id", _("This partner is disabled."))
    if not plan.is_active:
        add_error(errors, "plan_id", _("This plan is no longer offered."))
    elif plan.partner_id is not None and plan.partner_id != partner.pk:
        add_error(errors, "plan_id", _("This plan is another partner's individual plan."))
    _check_start_date(start_date, errors)
    listed = list(end_customers)
    if any(ec.partner_id != partner.pk for ec in listed):
        add_error(errors, "end_customer_ids", _("Every listed end customer must belong to the contract's partner."))
    if not covers_all_end_customers and not listed:
        add_error(errors, "end_customer_ids", _("List the covered end customers, or cover all of them."))
    try:
        values = plan_values_from_input(overrides or {}, base=plan.plan_values(), prefix="overrides.")
    except ValidationError as error:
        merge_errors(errors, error)
        values = {}
    if errors:
        raise ValidationError(errors)
    contract = Contract.objects.create(
        partner=partner,
        plan=plan,
        state=ContractState.DRAFT,
        start_date=start_date,
        covers_all_end_customers=covers_all_end_customers,
        created_by=acting_user,
        **values,
    )
    if not covers_all_end_customers:
        contract.end_customers.set(listed)
    _event(
        contract,
        actor=acting_user,
        kind=ContractEventKind.CREATED,
        from_state="",
        to_state=ContractState.DRAFT,
        reason=reason,
        details={"plan": plan.code, "overrides": contract.overridden_values()},
    )
    if activate:
        contract = activate_contract(acting_user=acting_user, contract=contract)
    return contract


@transaction.atomic
def activate_contract(*, acting_user: User, contract: Contract, reason: str = "") -> Contract:
    """A draft becomes active; its current term (if it has started) is created with its fee (R3.5)."""
    ensure_role(acting_user, *CONTRACT_MANAGER_ROLES)
    contract = locks.lock_contract(contract.pk)
    if contract.state != ContractState.DRAFT:
        raise ValidationError({"state": _("Only a draft contract can be activated.")})
    contract.state = ContractState.ACTIVE
    contract.save(update_fields=["state"])
    _event(
        contract,
        actor=acting_user,
        kind=ContractEventKind.ACTIVATED,
        from_state=ContractState.DRAFT,
        to_state=ContractState.ACTIVE,
        reason=reason,
    )
    today = timezone.localdate()
    if contract.start_date <= today:
        locks.materialise_term(contract, pricing.term_index_on(contract.start_date, contract.term_months, today))
    return contract


@transaction.atomic
def cancel_contract(*, acting_user: User, contract: Contract, reason: str = "") -> Contract:
    """Cancel (R3.1, R3.4): a fixed-term contract runs to the end of its term (or of the next one
    when the plan's notice period is no longer met); without fixed term it runs ``notice_days`` more
    days. A draft, or a contract that has not started, ends at once.
    """
    ensure_role(acting_user, *CONTRACT_CANCEL_ROLES)
    if acting_user.is_partner and acting_user.partner_id != contract.partner_id:
        raise PermissionDenied(_("Your role does not allow this action."))
    contract = locks.lock_contract(contract.pk)
    today = timezone.localdate()
    before = contract.state_on(today)
    if before not in (ContractState.DRAFT, ContractState.ACTIVE):
        raise ValidationError({"state": _("This contract is already cancelled or ended.")})
    end_date = None
    if before == ContractState.ACTIVE:
        end_date = pricing.cancellation_end_date(
            start=contract.start_date,
            term_months=contract.term_months,
            notice_days=contract.notice_days,
            cancelled_on=today,
        )
    after = ContractState.CANCELLED if end_date is not None else ContractState.ENDED
    contract.state = after
    contract.end_date = end_date
    contract.cancelled_at = timezone.now()
    contract.save(update_fields=["state", "end_date", "cancelled_at"])
    _event(
        contract,
        actor=acting_user,
        kind=ContractEventKind.CANCELLED if after == ContractState.CANCELLED else ContractEventKind.ENDED,
        from_state=before,
        to_state=after,
        reason=reason,
        details={"end_date": end_date.isoformat() if end_date else None},
    )
    return contract


@dataclass
class SettleReport:
    ended: list[int] = field(default_factory=list)
    terms_created: int = 0


def settle_contracts(*, at: datetime | None = None) -> SettleReport:
    """The daily housekeeping (command ``partnerdesk settlecontracts``; the billing run calls it too):
    a cancelled contract past its last day ends, and every running contract gets its terms up to
    today, i.e. renews (R3.1) with the term's fee recorded (R3.5). Each contract in its own transaction.
    """
    today = timezone.localdate(at) if at else timezone.localdate()
    report = SettleReport()
    candidates = Contract.objects.filter(state__in=RUNNING_STATES, start_date__lte=today).values_list("pk", flat=True)
    for contract_id in candidates:
        with transaction.atomic():
            contract = locks.lock_contract(contract_id)
            if contract.state not in RUNNING_STATES:
                continue
            last_day = today if contract.end_date is None else min(today, contract.end_date)
            index = pricing.term_index_on(contract.start_date, contract.term_months, last_day)
            before = ContractTerm.objects.filter(contract=contract).count()
            locks.materialise_term(contract, index)
            report.terms_created += ContractTerm.objects.filter(contract=contract).count() - before
            if contract.state_on(today) == ContractState.ENDED:
                contract.state = ContractState.ENDED
                contract.save(update_fields=["state"])
                _event(
                    contract,
                    actor=None,
                    kind=ContractEventKind.ENDED,
                    from_state=ContractState.CANCELLED,
                    to_state=ContractState.ENDED,
                    reason=_("The cancelled contract reached its last day."),
                )
                report.ended.append(contract.pk)
    return report


@transaction.atomic
def request_individual_contract(*, acting_user: User, message: str) -> ContractRequest:
    """A partner asks Sales for an individual contract (R2.2): stored, and its mail written to the outbox."""
    ensure_role(acting_user, *CONTRACT_REQUEST_ROLES)
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("This field is required.")})
    if len(message) > 5000:
        raise ValidationError({"message": _("Use at most %(max)s characters.") % {"max": 5000}})
    partner = acting_user.partner
    if partner is None:
        raise PermissionDenied(_("Your role does not allow this action."))
    request = ContractRequest.objects.create(partner=partner, requested_by=acting_user, message=message)
    subject = _("Request for an individual contract from %(partner)s") % {"partner": partner.name}
    body = f"{partner.name} ({partner.code})\n{acting_user.full_name} <{acting_user.email}>\n\n{message}\n"
    mail.enqueue_mails(
        "contract_request",
        [
            (
                EmailMessage(
                    subject,
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    [settings.PARTNERDESK_SALES_EMAIL],
                    reply_to=[acting_user.email],
                ),
                f"contracts.ContractRequest:{request.pk}",
            )
        ],
    )
    return request
