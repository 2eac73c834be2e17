"""Every write of invoicing: master data, issuing a partner's invoice, the billing run, cancellation.

Issuing locks in the one order (contracts, their terms, then the series' number counter) and runs
in one transaction per partner: a crash leaves a partner either fully invoiced or not at all, and
the counter's lock makes numbers consecutive without gap (R10.2, R10.4, R13.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from partnerdesk.accounts.models import Partner, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.contracts import locks as contract_locks
from partnerdesk.contracts import pricing
from partnerdesk.contracts.models import ContractTerm
from partnerdesk.worklog.models import TimeEntry

from . import lines as line_builder
from . import locks, selectors, vat
from .choices import BILLING_ROLES, InvoiceEventKind, InvoiceState, InvoiceType, RunState
from .models import (
    BilledItem,
    BillingRun,
    BillingSettings,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    PartnerBillingProfile,
)
from .periods import Period, parse_period

logger = logging.getLogger(__name__)

SELLER_FIELDS = ("name", "street", "postal_code", "city", "country", "vat_id", "tax_number")
CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "electronic_address")
BUYER_FIELDS = ("legal_name", "street", "postal_code", "city", "country", "vat_id", "buyer_reference", "invoice_email")


# --- master data --------------------------------------------------------------------------------


def _full_clean(instance: Any, exclude: list[str] | None = None) -> None:
    instance.full_clean(exclude=exclude or [])


@transaction.atomic
def update_billing_settings(*, acting_user: User, **values: Any) -> BillingSettings:
    """The vendor's invoice data (vendor admin and Billing); field errors name the field (R13.1)."""
    ensure_role(acting_user, *BILLING_ROLES)
    row = BillingSettings.current()
    for name, value in values.items():
        setattr(row, name, value)
    row.vat_id = (row.vat_id or "").replace(" ", "").upper()
    row.iban = (row.iban or "").replace(" ", "").upper()
    row.bic = (row.bic or "").replace(" ", "").upper()
    errors: dict[str, list[str]] = {}
    if row.vat_id and not selectors.vat_id_is_valid(row.vat_id):
        errors["vat_id"] = [_("Enter a valid EU VAT ID, for example DE123456789.")]
    if not row.vat_id and not row.tax_number:
        errors["tax_number"] = [_("Enter the VAT ID or the tax number (section 14 UStG).")]
    if row.iban:
        from stdnum import iban

        if not iban.is_valid(row.iban):
            errors["iban"] = [_("Enter a valid IBAN.")]
    if row.bic:
        from stdnum import bic

        if not bic.is_valid(row.bic):
            errors["bic"] = [_("Enter a valid BIC.")]
    try:
        _full_clean(row)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    row.save()
    return row


@transaction.atomic
def update_partner_billing(*, acting_user: User, partner: Partner, **values: Any) -> PartnerBillingProfile:
    """A partner's invoice data, by Billing/vendor admin or the partner's own admin."""
    own_admin = acting_user.partner_id == partner.pk and acting_user.role == "partner_admin"
    if not own_admin:
        ensure_role(acting_user, *BILLING_ROLES)
    profile = selectors.billing_profile_of(partner)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.vat_id = (profile.vat_id or "").replace(" ", "").upper()
    errors: dict[str, list[str]] = {}
    if profile.vat_id and not selectors.vat_id_is_valid(profile.vat_id):
        errors["vat_id"] = [_("Enter a valid EU VAT ID, for example DE123456789.")]
    if not profile.legal_name.strip():
        errors["legal_name"] = [_("Enter the partner's legal name.")]
    try:
        _full_clean(profile, exclude=["partner"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    profile.save()
    return profile


# --- issuing ------------------------------------------------------------------------------------


def _seller_snapshot(seller: BillingSettings) -> dict[str, str]:
    data = {name: str(getattr(seller, name) or "") for name in SELLER_FIELDS + CONTACT_FIELDS}
    data["country"] = str(seller.country or "")
    return data


def _buyer_snapshot(profile: PartnerBillingProfile, partner: Partner) -> dict[str, str]:
    data = {name: str(getattr(profile, name) or "") for name in BUYER_FIELDS}
    data["name"] = data.pop("legal_name") or partner.name
    data["email"] = data.pop("invoice_email") or partner.email
    data["partner_number"] = partner.code
    return data


def _note_text(note: str | None) -> list[str]:
    if note == vat.NOTE_REVERSE_CHARGE:
        return [_("Reverse charge: the recipient is liable for VAT (Article 196 VAT Directive, section 13b UStG).")]
    if note == vat.NOTE_OUTSIDE_SCOPE:
        return [_("Not taxable in Germany: the place of supply is the recipient's country (section 3a (2) UStG).")]
    return []


def _take_number(series: str) -> int:
    counter = locks.lock_counter(series)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def format_number(series: str, sequence: int) -> str:
    return f"{series}-{sequence:06d}"


def _payment_terms(days: int) -> str:
    return _("Payable within %(days)s days without deduction.") % {"days": days}


def _lock_and_materialise(partner_id: int, until: date) -> None:
    """Lock the partner's contracts (id order), then create and lock the terms that started by ``until``."""
    for contract_id in selectors.billable_contracts(partner_id).values_list("pk", flat=True):
        contract = contract_locks.lock_contract(contract_id)
        last = min(until, contract.end_date) if contract.end_date else until
        if contract.start_date <= last:
            contract_locks.lock_term_on(contract, last)


def issue_partner_invoice(
    *,
    partner_id: int,
    period: Period,
    until: date,
    booked_by: datetime,
    run: BillingRun | None = None,
    acting_user: User | None = None,
) -> Invoice | None:
    """Issue the partner's invoice for everything not billed that started by ``until`` (R10.1); None
    when nothing costs money. One transaction: lines, number, the "billed" marks, all or nothing."""
    with transaction.atomic():
        partner = Partner.objects.get(pk=partner_id)
        _lock_and_materialise(partner_id, until)
        built = selectors.partner_lines(partner_id, until=until, booked_by=booked_by)
        if not selectors.has_charge(built):
            return None
        seller = BillingSettings.current()
        profile = selectors.billing_profile_of(partner)
        treatment = selectors.vat_treatment_of(profile, seller)
        language = profile.language or "de"
        with override(language):
            notes = _note_text(treatment.note)
            terms_text = _payment_terms(seller.payment_terms_days)
        invoice = _create_invoice(
            partner=partner,
            period=period,
            built=built,
            treatment=treatment,
            seller=seller,
            profile=profile,
            notes=notes,
            payment_terms=terms_text,
            language=language,
            run=run,
            acting_user=acting_user,
        )
        return invoice


def _create_invoice(
    *,
    partner: Partner,
    period: Period,
    built: list[line_builder.BuiltLine],
    treatment: vat.Treatment,
    seller: BillingSettings,
    profile: PartnerBillingProfile,
    notes: list[str],
    payment_terms: str,
    language: str,
    run: BillingRun | None,
    acting_user: User | None,
) -> Invoice:
    now = timezone.now()
    today = timezone.localdate(now)
    subtotals = vat.subtotals((treatment.category, treatment.rate, line.net_cents) for line in built)
    net = sum(s.basis_cents for s in subtotals)
    tax = sum(s.vat_cents for s in subtotals)
    sequence = _take_number(seller.series)
    invoice = Invoice.objects.create(
        series=seller.series,
        sequence=sequence,
        number=format_number(seller.series, sequence),
        type_code=InvoiceType.INVOICE,
        state=InvoiceState.ISSUED,
        partner=partner,
        run=run,
        period=period.key,
        period_start=min([period.start, *(line.service_start for line in built)]),
        period_end=max([period.end, *(line.service_end or line.service_start for line in built)]),
        issued_on=today,
        due_on=today + timedelta(days=seller.payment_terms_days),
        issued_at=now,
        currency="EUR",
        seller=_seller_snapshot(seller),
        buyer=_buyer_snapshot(profile, partner),
        buyer_reference=profile.buyer_reference,
        payment_iban=seller.iban,
        payment_bic=seller.bic,
        bank_name=seller.bank_name,
        payment_terms=payment_terms,
        notes=notes,
        language=language,
        net_cents=net,
        vat_cents=tax,
        gross_cents=net + tax,
        vat_breakdown=[
            {"category": s.category, "rate": str(s.rate), "basis_cents": s.basis_cents, "vat_cents": s.vat_cents}
            for s in subtotals
        ],
        issued_by=acting_user,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=position,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_code=line.unit_code,
            unit_price_cents=line.unit_price_cents,
            net_cents=line.net_cents,
            vat_category=treatment.category,
            vat_rate=treatment.rate,
            service_start=line.service_start,
            service_end=line.service_end,
            contract_id=line.contract_id,
            term_id=line.term_id,
            ticket_id=line.ticket_id,
            time_entry_ids=list(line.entry_ids),
        )
        for position, line in enumerate(built, start=1)
    )
    # Fees of terms materialised in this transaction: find their rows by contract and index.
    term_ids = []
    for line in built:
        if line.kind == line_builder.FEE:
            term_ids.append(
                line.term_id
                or ContractTerm.objects.values_list("pk", flat=True).get(
                    contract_id=line.contract_id, index=line.term_index
                )
            )
    entry_ids = sorted({pk for line in built for pk in line.entry_ids})
    BilledItem.objects.bulk_create(
        [BilledItem(invoice=invoice, term_id=pk) for pk in term_ids]
        + [BilledItem(invoice=invoice, time_entry_id=pk) for pk in entry_ids]
    )
    ContractTerm.objects.filter(pk__in=term_ids).update(fee_invoiced_at=now)
    TimeEntry.objects.filter(pk__in=entry_ids).update(invoiced_at=now)
    InvoiceEvent.objects.create(
        invoice=invoice,
        kind=InvoiceEventKind.ISSUED,
        at=now,
        actor=acting_user,
        run=run,
        details={"number": invoice.number, "gross_cents": invoice.gross_cents},
    )
    return invoice


# --- the billing run (R10.1, R10.4) -------------------------------------------------------------


def _period_or_error(value: object) -> Period:
    period = parse_period(value)
    if period is None:
        raise ValidationError({"period": _("Enter a month as YYYY-MM, for example 2026-11.")})
    if period.start > timezone.localdate():
        raise ValidationError({"period": _("A period in the future cannot be billed yet.")})
    return period


@transaction.atomic
def start_billing_run(*, acting_user: User, period: str, dry_run: bool = False) -> BillingRun:
    """Queue a billing run; the worker executes it (``run_queued_billing_runs``)."""
    ensure_role(acting_user, *BILLING_ROLES)
    if not isinstance(dry_run, bool):
        raise ValidationError({"dry_run": _("Enter true or false.")})
    parsed = _period_or_error(period)
    return BillingRun.objects.create(
        period=parsed.key,
        period_start=parsed.start,
        period_end=parsed.end,
        dry_run=dry_run,
        created_by=acting_user,
    )


def _cutoff(period: Period) -> date:
    """The unfinished current period bills what has started by today."""
    return min(period.end, timezone.localdate())


def _preview_of(partner_id: int, built: list[line_builder.BuiltLine]) -> dict[str, Any]:
    partner = Partner.objects.get(pk=partner_id)
    seller = BillingSettings.current()
    treatment = selectors.vat_treatment_of(selectors.billing_profile_of(partner), seller)
    subtotals = vat.subtotals((treatment.category, treatment.rate, line.net_cents) for line in built)
    net = sum(s.basis_cents for s in subtotals)
    tax = sum(s.vat_cents for s in subtotals)
    return {
        "partner_id": partner_id,
        "partner": partner.name,
        "net_total": str(pricing.money(net)),
        "vat_total": str(pricing.money(tax)),
        "gross_total": str(pricing.money(net + tax)),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "net": str(line.net),
                "service_start": line.service_start.isoformat(),
                "service_end": line.service_end.isoformat() if line.service_end else None,
            }
            for line in built
        ],
    }


def execute_billing_run(
    run: BillingRun, *, progress: Callable[[BillingRun, int | None, Invoice | None], None] | None = None
) -> BillingRun:
    """Bill every partner of the run's period, each in its own transaction (R10.4); rerunnable.

    Running a period again, or after a crash, bills only what is not billed yet: nothing twice,
    nothing lost. A dry run issues nothing and stores what would be issued.
    """
    period = Period(run.period_start, run.period_end)
    until = _cutoff(period)
    booked_by = timezone.now()
    partner_ids = selectors.partners_to_bill(until=until)
    BillingRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, started_at=booked_by, partners_total=len(partner_ids), partners_done=0
    )
    run.refresh_from_db()
    preview: list[dict[str, Any]] = []
    issued = 0
    try:
        for done, partner_id in enumerate(partner_ids, start=1):
            invoice = None
            if run.dry_run:
                built = selectors.partner_lines(partner_id, until=until, booked_by=booked_by)
                if selectors.has_charge(built):
                    preview.append(_preview_of(partner_id, built))
            else:
                invoice = issue_partner_invoice(
                    partner_id=partner_id, period=period, until=until, booked_by=booked_by, run=run
                )
                issued += invoice is not None
            BillingRun.objects.filter(pk=run.pk).update(partners_done=done, invoices_issued=issued)
            if progress is not None:
                progress(run, partner_id, invoice)
    except Exception as error:
        logger.exception("billing run %s failed", run.pk)
        BillingRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        run.refresh_from_db()
        return run
    BillingRun.objects.filter(pk=run.pk).update(state=RunState.DONE, preview=preview, finished_at=timezone.now())
    run.refresh_from_db()
    return run


STALE_RUN = timedelta(minutes=10)


def run_queued_billing_runs() -> int:
    """The worker's job: execute queued runs, and runs left 'running' by a dead worker (rerunnable)."""
    count = 0
    stale = timezone.now() - STALE_RUN
    while True:
        with transaction.atomic():
            run = (
                BillingRun.objects.filter(state=RunState.QUEUED).order_by("pk").first()
                or BillingRun.objects.filter(state=RunState.RUNNING, started_at__lt=stale).order_by("pk").first()
            )
            if run is None:
                return count
            # Claim it: only the worker whose update matched runs it.
            claimed = BillingRun.objects.filter(pk=run.pk, state=run.state, started_at=run.started_at).update(
                state=RunState.RUNNING, started_at=timezone.now()
            )
        if claimed:
            execute_billing_run(BillingRun.objects.get(pk=run.pk))
            count += 1


# --- cancellation (R10.3, R4.7) -----------------------------------------------------------------


@transaction.atomic
def cancel_invoice(*, acting_user: User, invoice: Invoice) -> Invoice:
    """Issue the cancellation invoice of an issued invoice: the header copied, the lines negated, a
    reference to the original, its own number (R10.3). The original only changes its state.
    The billed entries stay invoiced and locked; a correction is a new entry (R4.7)."""
    ensure_role(acting_user, *BILLING_ROLES)
    original = locks.lock_invoice(invoice.pk)
    if original.state != InvoiceState.ISSUED or original.is_cancellation:
        raise ValidationError({"invoice": _("Only an issued invoice that is not a cancellation can be cancelled.")})
    seller = BillingSettings.current()
    sequence = _take_number(original.series)
    now = timezone.now()
    today = timezone.localdate(now)
    with override(original.language):
        note = _("Cancellation of invoice %(number)s of %(date)s.") % {
            "number": original.number,
            "date": original.issued_on.isoformat(),
        }
    cancellation = Invoice.objects.create(
        series=original.series,
        sequence=sequence,
        number=format_number(original.series, sequence),
        type_code=settings.PARTNERDESK_CANCELLATION_TYPE_CODE,
        state=InvoiceState.ISSUED,
        partner_id=original.partner_id,
        period=original.period,
        period_start=original.period_start,
        period_end=original.period_end,
        issued_on=today,
        due_on=today + timedelta(days=seller.payment_terms_days),
        issued_at=now,
        currency=original.currency,
        seller=original.seller,
        buyer=original.buyer,
        buyer_reference=original.buyer_reference,
        payment_iban=original.payment_iban,
        payment_bic=original.payment_bic,
        bank_name=original.bank_name,
        payment_terms=original.payment_terms,
        notes=[note, *original.notes],
        language=original.language,
        net_cents=-original.net_cents,
        vat_cents=-original.vat_cents,
        gross_cents=-original.gross_cents,
        vat_breakdown=[
            {**s, "basis_cents": -s["basis_cents"], "vat_cents": -s["vat_cents"]} for s in original.vat_breakdown
        ],
        preceding=original,
        issued_by=acting_user,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=cancellation,
            position=line.position,
            kind=line.kind,
            description=line.description,
            quantity=-line.quantity,
            unit_code=line.unit_code,
            unit_price_cents=line.unit_price_cents,
            net_cents=-line.net_cents,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            service_start=line.service_start,
            service_end=line.service_end,
            contract_id=line.contract_id,
            term_id=line.term_id,
            ticket_id=line.ticket_id,
            time_entry_ids=line.time_entry_ids,
        )
        for line in original.lines.order_by("position")
    )
    original.state = InvoiceState.CANCELLED
    original.save(update_fields=["state"], _cancelling=True)
    InvoiceEvent.objects.create(
        invoice=cancellation,
        kind=InvoiceEventKind.ISSUED,
        at=now,
        actor=acting_user,
        details={"number": cancellation.number, "gross_cents": cancellation.gross_cents},
    )
    InvoiceEvent.objects.create(
        invoice=original,
        kind=InvoiceEventKind.CANCELLED,
        at=now,
        actor=acting_user,
        details={"cancellation": cancellation.number},
    )
    return cancellation
