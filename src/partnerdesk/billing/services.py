"""Every write of invoicing: master data, issuing a partner's invoice, the billing run, cancellation.

Issuing locks in the one order (contracts, their terms, then the series' number counter) and runs
in one transaction per partner: a crash leaves a partner either fully invoiced or not at all, and
the counter's lock makes numbers consecutive without gap (R10.2, R10.4, R13.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from partnerdesk.accounts.models import Partner, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.contracts import locks as contract_locks
from partnerdesk.contracts import pricing
from partnerdesk.contracts.models import Contract, ContractTerm
from partnerdesk.worklog.models import TimeEntry

from . import documents, locks, selectors, vat
from . import lines as line_builder
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
    if profile.wants_xrechnung:
        required = {
            "buyer_reference": _("XRechnung needs the buyer reference (Leitweg-ID) of the partner's system."),
            "postal_code": _("XRechnung needs the postal code."),
            "city": _("XRechnung needs the city."),
            "invoice_email": _("XRechnung needs the invoice e-mail (the partner's electronic address)."),
        }
        for name, message in required.items():
            if not str(getattr(profile, name) or "").strip() and not errors.get(name):
                errors[name] = [message]
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


def _take_numbers(series: str, count: int) -> list[int]:
    """The next ``count`` numbers of the series, under the counter's lock (R10.2)."""
    counter = locks.lock_counter(series)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return list(range(first, first + count))


def format_number(series: str, sequence: int) -> str:
    return f"{series}-{sequence:06d}"


def _payment_terms(days: int) -> str:
    return _("Payable within %(days)s days without deduction.") % {"days": days}


def _lock_and_materialise(partner_ids: list[int], until: date) -> list[Contract]:
    """Lock the partners' contracts (id order), then lock the terms that started by ``until``,
    creating the ones not materialised yet. Answers the locked contracts."""
    contract_ids = list(selectors.billable_contracts_of(partner_ids).values_list("pk", flat=True))
    contracts = contract_locks.lock_contracts(contract_ids)
    due = {}
    for contract in contracts:
        last = min(until, contract.end_date) if contract.end_date else until
        if contract.start_date <= last:
            due[contract.pk] = pricing.term_index_on(contract.start_date, contract.term_months, last)
    present = contract_locks.lock_terms_up_to(due)
    for contract in contracts:
        if contract.pk in due and (contract.pk, due[contract.pk]) not in present:
            contract_locks.materialise_term(contract, due[contract.pk])
    return contracts


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
    issued = issue_invoices(
        partner_ids=[partner_id], period=period, until=until, booked_by=booked_by, run=run, acting_user=acting_user
    )
    return issued.invoices.get(partner_id)


@dataclass
class Issued:
    """What issuing a batch did: the invoices per partner, and the partners held back (R10.6)."""

    invoices: dict[int, Invoice] = field(default_factory=dict)
    held_back: list[dict[str, Any]] = field(default_factory=list)


def _held_back(partner: Partner, profile: PartnerBillingProfile, seller: BillingSettings) -> dict[str, Any] | None:
    """A partner who asked for XRechnung is not invoiced while its XRechnung would be invalid."""
    if not profile.wants_xrechnung:
        return None
    gaps = documents.xrechnung_gaps(_seller_snapshot(seller), _buyer_snapshot(profile, partner), iban=seller.iban)
    if not gaps:
        return None
    return {"partner_id": partner.pk, "partner": partner.name, "missing": gaps, "labels": selectors.gap_labels(gaps)}


def issue_invoices(
    *,
    partner_ids: list[int],
    period: Period,
    until: date,
    booked_by: datetime,
    run: BillingRun | None = None,
    acting_user: User | None = None,
) -> dict[int, Invoice]:
    """Issue each partner's invoice for everything not billed that started by ``until`` (R10.1), in
    one transaction for all of them: lines, numbers in partner order, the "billed" marks, all or
    nothing. Partners with nothing that costs money get none. The statements do not grow with the
    partner count (the run issues a hundred partners per transaction). A partner who asked for
    XRechnung while master data it needs is missing is held back, not invoiced (R10.6)."""
    result = Issued()
    with transaction.atomic():
        contracts = _lock_and_materialise(partner_ids, until)
        built_of = selectors.partners_lines(partner_ids, until=until, booked_by=booked_by, contracts=contracts)
        charged = [pid for pid in partner_ids if selectors.has_charge(built_of[pid])]
        if not charged:
            return result
        seller = BillingSettings.current()
        partners = Partner.objects.in_bulk(charged)
        profiles = selectors.billing_profiles_of([partners[pid] for pid in charged])
        for partner_id in list(charged):
            held = _held_back(partners[partner_id], profiles[partner_id], seller)
            if held is not None:
                result.held_back.append(held)
                charged.remove(partner_id)
        if not charged:
            return result
        numbers = _take_numbers(seller.series, len(charged))
        now = timezone.now()
        drafts = []
        for partner_id, sequence in zip(charged, numbers, strict=True):
            profile = profiles[partner_id]
            treatment = selectors.vat_treatment_of(profile, seller)
            language = profile.language or "de"
            with override(language):
                notes = _note_text(treatment.note)
                terms_text = _payment_terms(seller.payment_terms_days)
            invoice = _invoice_of(
                partner=partners[partner_id],
                period=period,
                built=built_of[partner_id],
                treatment=treatment,
                seller=seller,
                profile=profile,
                notes=notes,
                payment_terms=terms_text,
                language=language,
                run=run,
                acting_user=acting_user,
                sequence=sequence,
                now=now,
            )
            drafts.append((invoice, built_of[partner_id], treatment))
        Invoice.objects.bulk_create([invoice for invoice, _built, _treatment in drafts])
        _record_billed(drafts, contracts, until=until, booked_by=booked_by, now=now, run=run, acting_user=acting_user)
        result.invoices = {invoice.partner_id: invoice for invoice, _built, _treatment in drafts}
        return result


def _invoice_of(
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
    sequence: int,
    now: datetime,
) -> Invoice:
    today = timezone.localdate(now)
    subtotals = vat.subtotals((treatment.category, treatment.rate, line.net_cents) for line in built)
    net = sum(s.basis_cents for s in subtotals)
    tax = sum(s.vat_cents for s in subtotals)
    return Invoice(
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


def _record_billed(
    drafts: list[tuple[Invoice, list[line_builder.BuiltLine], vat.Treatment]],
    contracts: list[Contract],
    *,
    until: date,
    booked_by: datetime,
    now: datetime,
    run: BillingRun | None,
    acting_user: User | None,
) -> None:
    """The issued invoices' lines, what they billed (each entry and fee once, ever: R10.4), the
    "billed" marks on entries and terms, and the issue events: one statement of each kind."""
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
        for invoice, built, treatment in drafts
        for position, line in enumerate(built, start=1)
    )
    # Fees of terms materialised in this transaction carry no term id yet: find them by contract and index.
    new_terms = {
        (line.contract_id, line.term_index)
        for _invoice, built, _treatment in drafts
        for line in built
        if line.kind == line_builder.FEE and line.term_id is None
    }
    term_of = {}
    if new_terms:
        rows = ContractTerm.objects.filter(contract_id__in={c for c, _i in new_terms}).values_list(
            "contract_id", "index", "pk"
        )
        term_of = {(c, i): pk for c, i, pk in rows if (c, i) in new_terms}
    fee_items: list[BilledItem] = []
    term_ids: list[int] = []
    entry_count = 0
    invoice_of_contract: dict[int, int] = {}
    for invoice, built, _treatment in drafts:
        entry_ids: set[int] = set()
        for line in built:
            if line.kind == line_builder.FEE:
                term_id = line.term_id or term_of[(line.contract_id, line.term_index)]
                term_ids.append(term_id)
                fee_items.append(BilledItem(invoice=invoice, term_id=term_id))
            entry_ids.update(line.entry_ids)
        entry_count += len(entry_ids)
        invoice_of_contract.update({c.pk: invoice.pk for c in contracts if c.partner_id == invoice.partner_id})
    rounds = dict(ContractTerm.objects.filter(pk__in=term_ids).values_list("pk", "fee_billing_round"))
    for item in fee_items:
        item.round = rounds[item.term_id]
    BilledItem.objects.bulk_create(fee_items)
    ContractTerm.objects.filter(pk__in=term_ids).update(fee_invoiced_at=now)
    # The entries the lines were built from, selected again by the query that found them: the contracts
    # are locked, so no entry of theirs changed in between; the counts prove it (else all rolls back).
    # One INSERT ... SELECT and one UPDATE, however many entries: no Python object per entry.
    billed = _insert_billed_entries(
        selectors.unbilled_entries_queryset(list(invoice_of_contract), until=until, booked_by=booked_by),
        invoice_of_contract,
    )
    marked = selectors.unbilled_entries_queryset(list(invoice_of_contract), until=until, booked_by=booked_by).update(
        invoiced_at=now
    )
    if not billed == marked == entry_count:
        raise RuntimeError(f"lines bill {entry_count} time entries, {billed} recorded, {marked} marked: none issued")
    InvoiceEvent.objects.bulk_create(
        InvoiceEvent(
            invoice=invoice,
            kind=InvoiceEventKind.ISSUED,
            at=now,
            actor=acting_user,
            run=run,
            details={"number": invoice.number, "gross_cents": invoice.gross_cents},
        )
        for invoice, _built, _treatment in drafts
    )


def _insert_billed_entries(entries: QuerySet[TimeEntry], invoice_of_contract: dict[int, int]) -> int:
    """Record each selected entry as billed by its contract's invoice (INSERT ... SELECT); the count."""
    if not invoice_of_contract:
        return 0
    invoice_id = Case(
        *(When(contract_id=contract, then=Value(invoice)) for contract, invoice in invoice_of_contract.items()),
        output_field=BigIntegerField(),
    )
    select = (
        entries.order_by().annotate(billing_invoice=invoice_id).values_list("billing_invoice", "pk", "billing_round")
    )
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(BilledItem._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(BilledItem._meta.get_field(name).column)
        for name in ("invoice", "time_entry", "round")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)  # noqa: S608 (names from the model)
        return cursor.rowcount


# --- the billing run (R10.1, R10.4) -------------------------------------------------------------


def _period_or_error(value: object) -> Period:
    period = parse_period(value)
    if period is None:
        raise ValidationError({"period": _("Enter a month as YYYY-MM, for example 2026-11.")})
    if period.start > timezone.localdate():
        raise ValidationError({"period": _("A period in the future cannot be billed yet.")})
    return period


@transaction.atomic
def start_billing_run(
    *, acting_user: User, period: str, dry_run: bool = False, partner: Partner | None = None
) -> BillingRun:
    """Queue a billing run, of every partner or of one (a corrected invoice after a cancellation
    released its work: R10.3); the worker executes it (``run_queued_billing_runs``)."""
    ensure_role(acting_user, *BILLING_ROLES)
    if not isinstance(dry_run, bool):
        raise ValidationError({"dry_run": _("Enter true or false.")})
    parsed = _period_or_error(period)
    return BillingRun.objects.create(
        period=parsed.key,
        period_start=parsed.start,
        period_end=parsed.end,
        dry_run=dry_run,
        partner=partner,
        created_by=acting_user,
    )


def _cutoff(period: Period) -> date:
    """The unfinished current period bills what has started by today."""
    return min(period.end, timezone.localdate())


def _previews_of(built_of: dict[int, list[line_builder.BuiltLine]]) -> list[dict[str, Any]]:
    """What a dry run would issue, per partner with something that costs money."""
    charged = [pid for pid, built in built_of.items() if selectors.has_charge(built)]
    if not charged:
        return []
    seller = BillingSettings.current()
    partners = Partner.objects.in_bulk(charged)
    profiles = selectors.billing_profiles_of([partners[pid] for pid in charged])
    previews = []
    for partner_id in charged:
        built = built_of[partner_id]
        held = _held_back(partners[partner_id], profiles[partner_id], seller)
        treatment = selectors.vat_treatment_of(profiles[partner_id], seller)
        subtotals = vat.subtotals((treatment.category, treatment.rate, line.net_cents) for line in built)
        net = sum(s.basis_cents for s in subtotals)
        tax = sum(s.vat_cents for s in subtotals)
        previews.append(
            {
                "partner_id": partner_id,
                "partner": partners[partner_id].name,
                "net_total": str(pricing.money(net)),
                "vat_total": str(pricing.money(tax)),
                "gross_total": str(pricing.money(net + tax)),
                "held_back": held["labels"] if held else [],
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
        )
    return previews


def execute_billing_run(
    run: BillingRun, *, progress: Callable[[BillingRun, int | None, Invoice | None], None] | None = None
) -> BillingRun:
    """Bill every partner of the run's period, a batch of partners per transaction (R10.4); rerunnable.

    Running a period again, or after a crash, bills only what is not billed yet: nothing twice,
    nothing lost; a batch is issued whole or not at all. A dry run issues nothing and stores what
    would be issued.
    """
    period = Period(run.period_start, run.period_end)
    until = _cutoff(period)
    booked_by = timezone.now()
    partner_ids = selectors.partners_to_bill(until=until)
    if run.partner_id is not None:
        partner_ids = [pid for pid in partner_ids if pid == run.partner_id]
    BillingRun.objects.filter(pk=run.pk).update(
        state=RunState.RUNNING, started_at=booked_by, partners_total=len(partner_ids), partners_done=0
    )
    run.refresh_from_db()
    preview: list[dict[str, Any]] = []
    held_back: list[dict[str, Any]] = []
    issued = 0
    try:
        # A batch of partners per transaction: few enough that a crash redoes little and the number
        # counter is not held long, many enough that statements and commits do not grow with the partners.
        size = settings.PARTNERDESK_BILLING_BATCH_PARTNERS
        for offset in range(0, len(partner_ids), size):
            batch = partner_ids[offset : offset + size]
            invoices: dict[int, Invoice] = {}
            if run.dry_run:
                preview += _previews_of(selectors.partners_lines(batch, until=until, booked_by=booked_by))
            else:
                batch_result = issue_invoices(
                    partner_ids=batch, period=period, until=until, booked_by=booked_by, run=run
                )
                invoices = batch_result.invoices
                issued += len(invoices)
                held_back += batch_result.held_back
            BillingRun.objects.filter(pk=run.pk).update(partners_done=offset + len(batch), invoices_issued=issued)
            if progress is not None:
                for partner_id in batch:
                    progress(run, partner_id, invoices.get(partner_id))
    except Exception as error:
        logger.exception("billing run %s failed", run.pk)
        BillingRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        run.refresh_from_db()
        return run
    BillingRun.objects.filter(pk=run.pk).update(
        state=RunState.DONE, preview=preview, held_back=held_back, finished_at=timezone.now()
    )
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
def cancel_invoice(*, acting_user: User, invoice: Invoice, rebill: bool = False) -> Invoice:
    """Issue the cancellation invoice of an issued invoice: the header copied, the lines negated, a
    reference to the original, its own number (R10.3). The original only changes its state.

    Without ``rebill`` the billed entries stay invoiced and locked; a correction is a new entry (R4.7).
    With ``rebill`` its entries and fees are released: they can be corrected in place (an over-long
    entry shortened) and the next run, or a run for this partner, bills them again on a corrected
    invoice with its own number (the database allows that once per cancellation: ``BilledItem.round``).
    """
    ensure_role(acting_user, *BILLING_ROLES)
    if not isinstance(rebill, bool):
        raise ValidationError({"rebill": _("Enter true or false.")})
    # The one lock order: the contracts of what it billed first, then the invoice.
    contract_ids = sorted(
        {c for c in InvoiceLine.objects.filter(invoice_id=invoice.pk).values_list("contract_id", flat=True) if c}
    )
    if rebill:
        contract_locks.lock_contracts(contract_ids)
    original = locks.lock_invoice(invoice.pk)
    if original.state != InvoiceState.ISSUED or original.is_cancellation:
        raise ValidationError({"invoice": _("Only an issued invoice that is not a cancellation can be cancelled.")})
    seller = BillingSettings.current()
    (sequence,) = _take_numbers(original.series, 1)
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
    released = _release_billed(original) if rebill else {"entries": 0, "fees": 0}
    InvoiceEvent.objects.create(
        invoice=original,
        kind=InvoiceEventKind.CANCELLED,
        at=now,
        actor=acting_user,
        details={"cancellation": cancellation.number, "rebill": rebill, "released": released},
    )
    return cancellation


def _release_billed(original: Invoice) -> dict[str, int]:
    """Give what the invoice billed back to be billed again: its entries (editable again, R4.7) and
    its term fees, each in the next billing round. The caller holds the contracts' locks."""
    items = BilledItem.objects.filter(invoice=original)
    entries = TimeEntry.objects.filter(
        pk__in=items.filter(time_entry__isnull=False).values("time_entry_id"), invoiced_at__isnull=False
    )
    released_entries = entries.update(invoiced_at=None, billing_round=F("billing_round") + 1)
    fees = ContractTerm.objects.filter(pk__in=items.filter(term__isnull=False).values("term_id"))
    released_fees = fees.update(fee_invoiced_at=None, fee_billing_round=F("fee_billing_round") + 1)
    return {"entries": released_entries, "fees": released_fees}
