"""Every write to plans, contracts and time entries: keyword-only functions that check the acting
user's right and run in one transaction. Ledger writes lock through ``locks`` (contract, then term).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import OrganisationKind, Role
from partnerdesk.accounts.models import EndCustomer, Partner, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.tickets.models import Ticket

from . import locks, pricing
from .choices import (
    BILLABILITY_ROLES,
    CONTRACT_CANCEL_ROLES,
    CONTRACT_MANAGER_ROLES,
    CONTRACT_REQUEST_ROLES,
    MAX_ENTRY_MINUTES,
    MAX_ENTRY_TEXT,
    PLAN_MANAGER_ROLES,
    RUNNING_STATES,
    STANDARD_PLANS,
    START_CLOCK_TOLERANCE,
    TIME_BOOKING_ROLES,
    Activity,
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
    QuotaNotification,
    TimeEntry,
)

logger = logging.getLogger("partnerdesk.contracts")

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
    "unit_minutes": (1, 1440),
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


def _add(errors: dict[str, list[str]], field_name: str, message: str) -> None:
    errors.setdefault(field_name, []).append(message)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _cents(value: Any, field_name: str, errors: dict[str, list[str]]) -> int | None:
    """A money amount (Decimal, int or decimal string) as cents; more than 2 places is an error."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if isinstance(value, bool | float):
            raise InvalidOperation
        cents = pricing.cents_of(amount)
    except (InvalidOperation, ValueError, TypeError):
        _add(errors, field_name, _("Enter an amount with at most two decimal places."))
        return None
    if not 0 <= cents <= _MAX_CENTS:
        _add(errors, field_name, _("Enter an amount between 0 and %(max)s.") % {"max": pricing.money(_MAX_CENTS)})
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
    errors: dict[str, list[str]] = {}
    for name in values:
        if name not in PLAN_VALUE_INPUTS:
            _add(errors, f"{prefix}{name}", _("Unknown field."))
    stored: dict[str, Any] = dict(base or {})
    if "currency" in values:
        if values["currency"] not in Currency.values:
            _add(
                errors, f"{prefix}currency", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Currency.values)}
            )
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
        elif not _is_int(value) or not low <= value <= high:
            _add(
                errors,
                f"{prefix}{name}",
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            )
        else:
            stored[name] = value
    if "rate_scope" in values:
        if values["rate_scope"] not in pricing.SCOPES:
            _add(
                errors, f"{prefix}rate_scope", _("Choose one of: %(choices)s.") % {"choices": ", ".join(pricing.SCOPES)}
            )
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
        _add(errors, f"{prefix}rate_scope", _("This field is required."))
    if "rate_tiers" not in stored:
        _add(errors, f"{prefix}rate_tiers", _("This field is required."))
    if not errors:
        included, unit = stored["included_minutes_per_term"], stored["unit_minutes"]
        if included % unit:
            _add(
                errors,
                f"{prefix}included_minutes_per_term",
                _("Give the included time as a multiple of the billing unit (%(unit)s minutes).") % {"unit": unit},
            )
        if stored["term_months"] is None and included:
            _add(
                errors,
                f"{prefix}included_minutes_per_term",
                _("A plan without fixed term cannot include time: there is no term for it to expire."),
            )
    if errors:
        raise ValidationError(errors)
    return stored


def _tiers_from_input(value: Any, field_name: str, errors: dict[str, list[str]]) -> list[dict[str, int]]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= _MAX_TIERS:
        _add(errors, field_name, _("Give between 1 and %(max)s rates.") % {"max": _MAX_TIERS})
        return []
    tiers: list[dict[str, int]] = []
    for index, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) - {"from_unit", "unit_price"}:
            _add(errors, f"{field_name}.{index}", _("Give from_unit and unit_price."))
            continue
        from_unit = item.get("from_unit")
        if not _is_int(from_unit) or not 0 <= from_unit <= 100_000:
            _add(
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
            _add(errors, field_name, _tier_message(problem))
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
    errors: dict[str, list[str]] = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not code:
        _add(errors, "code", _("This field is required."))
    elif len(code) > 30:
        _add(errors, "code", _("Use at most %(max)s characters.") % {"max": 30})
    elif Plan.objects.filter(code__iexact=code).exists():
        _add(errors, "code", _("A plan with this code already exists."))
    if not name:
        _add(errors, "name", _("This field is required."))
    elif len(name) > 200:
        _add(errors, "name", _("Use at most %(max)s characters.") % {"max": 200})
    try:
        stored = plan_values_from_input(values)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
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


def _check_start_date(start_date: Any, errors: dict[str, list[str]]) -> None:
    if not isinstance(start_date, date) or isinstance(start_date, datetime):
        _add(errors, "start_date", _("Enter a date as YYYY-MM-DD."))
        return
    today = timezone.localdate()
    earliest = pricing.add_months(today, -12 * _START_YEARS_BACK)
    latest = pricing.add_months(today, 12 * _START_YEARS_AHEAD)
    if not earliest <= start_date <= latest:
        _add(
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
    errors: dict[str, list[str]] = {}
    if not partner.is_active:
        _add(errors, "partner_id", _("This partner is disabled."))
    if not plan.is_active:
        _add(errors, "plan_id", _("This plan is no longer offered."))
    elif plan.partner_id is not None and plan.partner_id != partner.pk:
        _add(errors, "plan_id", _("This plan is another partner's individual plan."))
    _check_start_date(start_date, errors)
    listed = list(end_customers)
    if any(ec.partner_id != partner.pk for ec in listed):
        _add(errors, "end_customer_ids", _("Every listed end customer must belong to the contract's partner."))
    if not covers_all_end_customers and not listed:
        _add(errors, "end_customer_ids", _("List the covered end customers, or cover all of them."))
    try:
        values = plan_values_from_input(overrides or {}, base=plan.plan_values(), prefix="overrides.")
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
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
    """A partner asks Sales for an individual contract (R2.2): stored, and mailed after commit."""
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
    transaction.on_commit(
        lambda: _send(
            [
                EmailMessage(
                    subject,
                    body,
                    settings.DEFAULT_FROM_EMAIL,
                    [settings.PARTNERDESK_SALES_EMAIL],
                    reply_to=[acting_user.email],
                )
            ]
        )
    )
    return request


# --- time entries -------------------------------------------------------------------------------


def _validate_entry_input(
    *, minutes: Any, started_at: Any, activity: Any, text: Any, billable: Any, errors: dict[str, list[str]]
) -> None:
    if not _is_int(minutes):
        _add(errors, "minutes", _("Enter a whole number."))
    elif not 1 <= minutes <= MAX_ENTRY_MINUTES:
        _add(errors, "minutes", _("Enter between 1 and %(max)s minutes (24 hours).") % {"max": MAX_ENTRY_MINUTES})
    if not isinstance(started_at, datetime) or timezone.is_naive(started_at):
        _add(errors, "started_at", _("Enter a date and time as ISO 8601 with a time zone."))
    elif started_at > timezone.now() + START_CLOCK_TOLERANCE:
        _add(errors, "started_at", _("Work cannot start in the future."))
    elif started_at < timezone.now() - timedelta(days=366 * _START_YEARS_BACK):
        _add(errors, "started_at", _("Work cannot start more than %(years)s years ago.") % {"years": _START_YEARS_BACK})
    if activity not in Activity.values:
        _add(errors, "activity", _("Choose one of: %(choices)s.") % {"choices": ", ".join(Activity.values)})
    if not isinstance(text, str):
        _add(errors, "text", _("Enter text."))
    elif len(text) > MAX_ENTRY_TEXT:
        _add(errors, "text", _("Use at most %(max)s characters.") % {"max": MAX_ENTRY_TEXT})
    if not isinstance(billable, bool):
        _add(errors, "billable", _("Enter true or false."))


def _check_contract_takes_work(contract: Contract, ticket: Ticket, day: date) -> None:
    if contract.partner_id != ticket.partner_id:
        # Never charge one partner's work to another partner's contract (R1.1).
        raise ValidationError({"ticket_id": _("The ticket's contract belongs to another partner.")})
    if contract.state_on(timezone.localdate()) == ContractState.ENDED:
        raise ValidationError({"ticket_id": _("The ticket's contract has ended; no more time can be charged to it.")})
    if contract.state == ContractState.DRAFT:
        raise ValidationError({"ticket_id": _("The ticket's contract is not active yet.")})
    if not contract.runs_on(day):
        raise ValidationError(
            {"started_at": _("The ticket's contract does not cover work on %(day)s.") % {"day": day.isoformat()}}
        )


def _charge(entry: TimeEntry, contract: Contract, term: ContractTerm) -> pricing.EntryCharge:
    """Split and price a billable entry at the current ledger position (caller holds the locks)."""
    ticket_totals = TimeEntry.objects.filter(ticket_id=entry.ticket_id, contract=contract, billable=True).aggregate(
        extra=Sum("extra_units"), charged=Sum("charged_units")
    )
    state = pricing.LedgerState(
        included_units_left=term.included_units_left,
        term_charged_units=term.charged_units,
        ticket_extra_units=ticket_totals["extra"] or 0,
        ticket_charged_units=ticket_totals["charged"] or 0,
    )
    charge = pricing.charge_entry(contract.schedule, entry.minutes, state)
    entry.units = charge.units
    entry.included_units = charge.included_units
    entry.extra_units = charge.extra_units
    entry.charged_units = charge.charged_units
    entry.amount_cents = charge.amount_cents
    entry.charge_lines = [
        {"quantity": line.quantity, "unit_price_cents": line.unit_price_cents} for line in charge.lines
    ]
    term.included_units_used += charge.included_units
    term.extra_units += charge.extra_units
    term.charged_units += charge.charged_units
    term.extra_amount_cents += charge.amount_cents
    return charge


def _release(entry: TimeEntry, term: ContractTerm) -> None:
    """Give an entry's units back to its term's ledger (caller holds the locks)."""
    term.included_units_used -= entry.included_units
    term.extra_units -= entry.extra_units
    term.charged_units -= entry.charged_units
    term.extra_amount_cents -= entry.amount_cents
    entry.included_units = entry.extra_units = entry.charged_units = entry.amount_cents = 0
    entry.charge_lines = []


_LEDGER_FIELDS = ["included_units_used", "extra_units", "charged_units", "extra_amount_cents"]


@transaction.atomic
def book_time_entry(
    *,
    acting_user: User,
    ticket: Ticket,
    started_at: datetime,
    minutes: int,
    activity: str,
    text: str = "",
    billable: bool = True,
) -> TimeEntry:
    """Record vendor work on an escalated ticket (R4.1) and charge it to the ticket's contract.

    The entry is rounded to whole units (R4.2), takes the included units left in the term in which
    its work started, and is split when it crosses their end (R4.3); the rest is priced (R4.4,
    R4.5). Locks the contract, then the term, so parallel bookings never over-use (R4.8).
    """
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    errors: dict[str, list[str]] = {}
    _validate_entry_input(
        minutes=minutes, started_at=started_at, activity=activity, text=text, billable=billable, errors=errors
    )
    if errors:
        raise ValidationError(errors)
    ticket = Ticket.objects.get(pk=ticket.pk)  # fresh: level and contract may have changed
    if not ticket.is_escalated and ticket.escalated_at is None:
        # Work is booked on tickets the vendor has been given (also after handing one back, R5.6).
        raise ValidationError({"ticket_id": _("Time can only be recorded on an escalated ticket.")})
    if ticket.charged_contract_id is None:
        raise ValidationError({"ticket_id": _("The ticket is not charged to a contract.")})
    contract = locks.lock_contract(ticket.charged_contract_id)
    day = timezone.localdate(started_at)
    _check_contract_takes_work(contract, ticket, day)
    term = locks.lock_term_on(contract, day)
    used_before = term.included_units_used
    entry = TimeEntry(
        ticket=ticket,
        contract=contract,
        term=term,
        agent=acting_user,
        started_at=started_at,
        minutes=minutes,
        activity=activity,
        text=text,
        billable=billable,
        currency=contract.currency,
        units=pricing.units_for(minutes, contract.unit_minutes),
    )
    if billable:
        _charge(entry, contract, term)
        term.save(update_fields=_LEDGER_FIELDS)
    entry.save()
    _notify_quota(contract, term, used_before)
    return entry


def _lock_entry(entry: TimeEntry) -> tuple[Contract, ContractTerm, TimeEntry]:
    """Lock contract, then term, then re-read the entry; refuse if it was invoiced (R4.7)."""
    contract = locks.lock_contract(entry.contract_id)
    term = ContractTerm.objects.select_for_update().get(pk=entry.term_id)
    entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.is_invoiced:
        raise ValidationError(
            {
                "invoiced_at": _(
                    "This entry has been invoiced and can no longer be changed; book a correcting entry instead."
                )
            }
        )
    return contract, term, entry


@transaction.atomic
def set_entry_billable(*, acting_user: User, entry: TimeEntry, billable: bool) -> TimeEntry:
    """Mark an entry non-billable (e.g. a confirmed product defect, R4.6) or billable again.

    Non-billable gives its units back to the term; billable again charges it at the current ledger
    position, like a new booking. Entries booked in between are never re-priced.
    """
    ensure_role(acting_user, *BILLABILITY_ROLES)
    if not isinstance(billable, bool):
        raise ValidationError({"billable": _("Enter true or false.")})
    contract, term, entry = _lock_entry(entry)
    if entry.billable == billable:
        return entry
    used_before = term.included_units_used
    if billable:
        entry.billable = True
        _charge(entry, contract, term)
    else:
        _release(entry, term)
        entry.billable = False
    term.save(update_fields=_LEDGER_FIELDS)
    entry.save()
    _notify_quota(contract, term, used_before)
    return entry


@transaction.atomic
def delete_time_entry(*, acting_user: User, entry: TimeEntry) -> None:
    """Delete an entry booked by mistake, giving its units back; refused once invoiced (R4.7)."""
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    _contract, term, entry = _lock_entry(entry)
    _release(entry, term)
    term.save(update_fields=_LEDGER_FIELDS)
    entry.delete()


@transaction.atomic
def correct_time_entry(
    *,
    acting_user: User,
    entry: TimeEntry,
    started_at: datetime | None = None,
    minutes: int | None = None,
    activity: str | None = None,
    text: str | None = None,
) -> TimeEntry:
    """Correct an entry not yet invoiced: it is replaced by a new booking at the current ledger
    position (the old units are given back first). Invoiced entries are refused (R4.7).
    """
    ensure_role(acting_user, *TIME_BOOKING_ROLES)
    _contract, term, locked = _lock_entry(entry)
    _release(locked, term)
    term.save(update_fields=_LEDGER_FIELDS)
    ticket = locked.ticket
    locked.delete()
    return book_time_entry(
        acting_user=acting_user,
        ticket=ticket,
        started_at=started_at if started_at is not None else locked.started_at,
        minutes=minutes if minutes is not None else locked.minutes,
        activity=activity if activity is not None else locked.activity,
        text=text if text is not None else locked.text,
        billable=locked.billable,
    )


# --- quota notifications (R4.9) -----------------------------------------------------------------


def _notify_quota(contract: Contract, term: ContractTerm, used_before: int) -> None:
    """Record each threshold the booking reached, once per term, and mail after commit."""
    reached = pricing.thresholds_reached(
        term.included_units_granted, used_before, term.included_units_used, settings.PARTNERDESK_QUOTA_THRESHOLDS
    )
    created = []
    for threshold in reached:
        if QuotaNotification.objects.filter(term=term, threshold=threshold).exists():
            continue
        created.append(
            QuotaNotification.objects.create(
                contract=contract,
                term=term,
                threshold=threshold,
                included_units_used=term.included_units_used,
                included_units_granted=term.included_units_granted,
            )
        )
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: send_quota_mails(ids))


def _send(messages: Sequence[EmailMessage]) -> None:
    """Mail after commit; a down mail server must not fail the booking (the outbox comes later)."""
    try:
        get_connection().send_messages(list(messages))
    except Exception:  # noqa: BLE001 - any mail failure is logged, never raised into the request
        logger.exception("could not send %s mail(s)", len(messages))


def _hours(units: int, unit_minutes: int) -> str:
    minutes = units * unit_minutes
    return f"{minutes // 60}:{minutes % 60:02d}"


def send_quota_mails(notification_ids: Sequence[int]) -> None:
    """Tell the partner's admins and the vendor's Sales, each in their language (R4.9)."""
    notifications = QuotaNotification.objects.filter(pk__in=notification_ids).select_related(
        "contract__partner", "contract__plan", "term"
    )
    messages = []
    for notification in notifications:
        contract, term = notification.contract, notification.term
        recipients = list(User.objects.filter(partner=contract.partner, role=Role.PARTNER_ADMIN, is_active=True))
        recipients += list(User.objects.filter(organisation=OrganisationKind.VENDOR, role=Role.SALES, is_active=True))
        addresses: list[tuple[str, str]] = [(u.email, u.language) for u in recipients]
        if not any(u.role == Role.SALES for u in recipients):
            addresses.append((settings.PARTNERDESK_SALES_EMAIL, ""))
        for address, language in addresses:
            with translation.override(language or settings.LANGUAGE_CODE):
                values = {
                    "percent": notification.threshold,
                    "contract": contract.label,
                    "partner": contract.partner.name,
                    "used": _hours(notification.included_units_used, term.unit_minutes),
                    "granted": _hours(notification.included_units_granted, term.unit_minutes),
                    "start": term.start_date.isoformat(),
                    "end": term.end_date.isoformat() if term.end_date else "",
                }
                subject = _("%(partner)s: %(percent)s%% of the included time of contract %(contract)s used") % values
                body = (
                    _(
                        "Contract %(contract)s of %(partner)s has used %(used)s of its %(granted)s included hours "
                        "in the term %(start)s to %(end)s (%(percent)s%%).\n\n"
                        "Further time in this term is billed at the contract's rates."
                    )
                    % values
                )
            messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]))
    if messages:
        _send(messages)
