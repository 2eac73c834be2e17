"""Every read of invoicing that depends on who asks, and what a partner's next invoice would say.

``billable_items`` gathers what is not billed yet; ``lines.build_lines`` turns it into lines. The
billing run (under the contracts' locks) and the partner's preview (R10.7) both use these two, so
the preview is the invoice's truth (ARCHITECTURE convention 18).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.eu import vat as eu_vat

from partnerdesk.accounts.choices import PARTNER_ROLES
from partnerdesk.accounts.models import Partner, User
from partnerdesk.contracts import pricing
from partnerdesk.contracts import selectors as contract_selectors
from partnerdesk.contracts.choices import ContractState
from partnerdesk.contracts.models import Contract, ContractTerm
from partnerdesk.worklog.models import TimeEntry

from . import lines as line_builder
from . import vat
from .choices import BILLING_ROLES, InvoiceEventKind
from .models import BillingRun, BillingSettings, Invoice, InvoiceEvent, PartnerBillingProfile

# --- who sees what ------------------------------------------------------------------------------


def released_by(invoice: Invoice) -> Invoice | None:
    """The original invoice whose work this cancellation released to be billed again (R10.3), else None."""
    if invoice.preceding_id is None:
        return None
    cancelled = InvoiceEvent.objects.filter(invoice_id=invoice.preceding_id, kind=InvoiceEventKind.CANCELLED).first()
    if cancelled is None or not cancelled.details.get("rebill"):
        return None
    return invoice.preceding


def is_billing_staff(user: User) -> bool:
    return user.is_active and user.role in BILLING_ROLES


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    """Billing staff see every invoice; a partner's users their own partner's; everyone else none (R1.1)."""
    invoices = Invoice.objects.select_related("partner", "preceding")
    if is_billing_staff(user):
        return invoices
    if user.is_active and user.partner_id is not None and user.role in PARTNER_ROLES:
        return invoices.filter(partner_id=user.partner_id)
    return invoices.none()


def billing_runs_visible_to(user: User) -> QuerySet[BillingRun]:
    return BillingRun.objects.all() if is_billing_staff(user) else BillingRun.objects.none()


def ensure_billing_staff(user: User) -> None:
    """Billing pages and runs answer 404 to everyone but billing staff (R1.1, R1.4)."""
    if not is_billing_staff(user):
        raise Http404


# --- master data --------------------------------------------------------------------------------


def billing_profile_of(partner: Partner) -> PartnerBillingProfile:
    """The partner's invoice data; unsaved and filled from the partner when none was entered."""
    return billing_profiles_of([partner])[partner.pk]


def billing_profiles_of(partners: list[Partner]) -> dict[int, PartnerBillingProfile]:
    """Per partner id, its invoice data (one query for any number of partners)."""
    stored = {p.partner_id: p for p in PartnerBillingProfile.objects.filter(partner__in=[p.pk for p in partners])}
    return {partner.pk: stored.get(partner.pk) or _profile_from(partner) for partner in partners}


def _profile_from(partner: Partner) -> PartnerBillingProfile:
    return PartnerBillingProfile(
        partner=partner,
        legal_name=partner.name,
        street=partner.street,
        postal_code=partner.postal_code,
        city=partner.city,
        country=partner.country,
        vat_id=partner.vat_id,
        invoice_email=partner.email,
    )


_BUYER_FIELD_OF_SNAPSHOT = {"name": "legal_name", "email": "invoice_email"}


def gap_labels(gaps: list[str]) -> list[str]:
    """The translated labels of ``documents.xrechnung_gaps`` keys: what to fill in, and where."""
    labels = []
    for gap in gaps:
        party, name = gap.split(".", 1)
        if party == "seller":
            field = BillingSettings._meta.get_field(name)
            labels.append(_("Invoice data: %(field)s") % {"field": field.verbose_name})
        else:
            field = PartnerBillingProfile._meta.get_field(_BUYER_FIELD_OF_SNAPSHOT.get(name, name))
            labels.append(_("Partner billing data: %(field)s") % {"field": field.verbose_name})
    return labels


def vat_id_is_valid(vat_id: str) -> bool:
    return bool(vat_id) and bool(eu_vat.is_valid(vat_id))


def vat_treatment_of(profile: PartnerBillingProfile, seller: BillingSettings) -> vat.Treatment:
    return vat.treatment_for(
        seller_country=str(seller.country or "DE"),
        buyer_country=str(profile.country or "DE"),
        buyer_vat_id_valid=vat_id_is_valid(profile.vat_id),
        rates=settings.PARTNERDESK_VAT_RATES,
    )


# --- what is not billed yet ---------------------------------------------------------------------


def labels() -> line_builder.Labels:
    return line_builder.Labels(
        fee=_("%(plan)s, term %(start)s to %(end)s"),
        included=_("Ticket #%(ticket)s, included time"),
        extra=_("Ticket #%(ticket)s"),
    )


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def billable_contracts(partner_id: int) -> QuerySet[Contract]:
    return billable_contracts_of([partner_id])


def billable_contracts_of(partner_ids: list[int]) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(partner_id__in=partner_ids)
        .exclude(state=ContractState.DRAFT)
        .select_related("plan")
        .order_by("pk")
    )


def _last_billable_day(contract: Contract, until: date) -> date:
    return min(until, contract.end_date) if contract.end_date else until


def unbilled_fees(contract: Contract, *, until: date) -> list[line_builder.TermFee]:
    """Fees of the contract's terms that started by ``until`` and are not billed (R3.5)."""
    return unbilled_fees_of([contract], until=until)[contract.pk]


def unbilled_fees_of(contracts: list[Contract], *, until: date) -> dict[int, list[line_builder.TermFee]]:
    """Per contract, the fees of its terms that started by ``until`` and are not billed (R3.5), in one
    query; terms not materialised yet are counted from the contract's values, as they will be created."""
    last_index: dict[int, int] = {}
    for contract in contracts:
        last = _last_billable_day(contract, until)
        if contract.start_date <= last and contract.fee_cents:
            last_index[contract.pk] = pricing.term_index_on(contract.start_date, contract.term_months, last)
    stored: dict[tuple[int, int], ContractTerm] = {}
    if last_index:
        terms = ContractTerm.objects.filter(contract_id__in=list(last_index), index__lte=max(last_index.values()))
        stored = {(t.contract_id, t.index): t for t in terms}
    fees: dict[int, list[line_builder.TermFee]] = {contract.pk: [] for contract in contracts}
    for contract in contracts:
        if contract.pk not in last_index:
            continue
        for i in range(last_index[contract.pk] + 1):
            term = stored.get((contract.pk, i))
            if term is not None:
                if term.fee_invoiced_at is not None or not term.fee_cents:
                    continue
                fees[contract.pk].append(
                    line_builder.TermFee(
                        contract.pk, term.pk, i, contract.plan.name, term.start_date, term.end_date, term.fee_cents
                    )
                )
            else:
                start, end = pricing.term_bounds(contract.start_date, contract.term_months, i)
                fees[contract.pk].append(
                    line_builder.TermFee(contract.pk, None, i, contract.plan.name, start, end, contract.fee_cents)
                )
    return fees


def unbilled_entries_queryset(
    contract_ids: list[int], *, until: date | None = None, booked_by: datetime | None = None
) -> QuerySet[TimeEntry]:
    """Billable entries of these contracts not invoiced yet whose work started by ``until`` (booked by
    ``booked_by``): what a run bills, and (under the contracts' locks) exactly what it marks."""
    entries = TimeEntry.objects.filter(contract_id__in=contract_ids, billable=True, invoiced_at__isnull=True)
    if until is not None:
        entries = entries.filter(started_at__lt=end_of_day(until))
    if booked_by is not None:
        entries = entries.filter(booked_at__lte=booked_by)
    return entries


def unbilled_entries(
    contract_ids: list[int], *, until: date | None = None, booked_by: datetime | None = None
) -> list[line_builder.PricedEntry]:
    """Billable entries not invoiced yet whose work started by ``until`` (booked by ``booked_by``).

    The local work day is computed by the database and only the six columns the lines need are read:
    a run reads every unbilled entry once, so nothing per row is spent that a line does not use.
    """
    rows = (
        unbilled_entries_queryset(contract_ids, until=until, booked_by=booked_by)
        .annotate(work_day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values_list("pk", "contract_id", "ticket_id", "work_day", "included_units", "charge_lines")
    )
    priced = line_builder.PricedEntry
    return [
        priced(pk, contract_id, ticket_id, work_day, included, _charge_tuple(charge_lines))
        for pk, contract_id, ticket_id, work_day, included, charge_lines in rows.iterator(chunk_size=20_000)
    ]


def _charge_tuple(charge_lines: list[dict[str, int]]) -> tuple[tuple[int, int], ...]:
    if not charge_lines:
        return ()
    return tuple((int(x["quantity"]), int(x["unit_price_cents"])) for x in charge_lines)


def partner_lines(partner_id: int, *, until: date, booked_by: datetime | None = None) -> list[line_builder.BuiltLine]:
    """The lines a partner's invoice would carry now for work and terms up to ``until`` (R10.1)."""
    return partners_lines([partner_id], until=until, booked_by=booked_by)[partner_id]


def partners_lines(
    partner_ids: list[int], *, until: date, booked_by: datetime | None = None, contracts: list[Contract] | None = None
) -> dict[int, list[line_builder.BuiltLine]]:
    """Per partner, the lines its invoice would carry (R10.1): three queries for any number of
    partners (contracts, terms, entries), then the pure builder per partner."""
    if contracts is None:
        contracts = list(billable_contracts_of(partner_ids))
    fees = unbilled_fees_of(contracts, until=until)
    entries_of: dict[int, list[line_builder.PricedEntry]] = {}
    for entry in unbilled_entries([c.pk for c in contracts], until=until, booked_by=booked_by):
        entries_of.setdefault(entry.contract_id, []).append(entry)
    contracts_of: dict[int, list[Contract]] = {}
    for contract in contracts:
        contracts_of.setdefault(contract.partner_id, []).append(contract)
    text = labels()
    return {
        partner_id: line_builder.build_lines(
            [fee for c in contracts_of.get(partner_id, []) for fee in fees[c.pk]],
            [entry for c in contracts_of.get(partner_id, []) for entry in entries_of.get(c.pk, [])],
            text,
        )
        for partner_id in partner_ids
    }


def has_charge(built: list[line_builder.BuiltLine]) -> bool:
    """An invoice is issued only when something costs money; included use alone waits for the next one."""
    return any(line.net_cents for line in built)


def partners_to_bill(*, until: date) -> list[int]:
    """Partners with a non-draft contract that has started by ``until``, in id order."""
    return list(
        Contract.objects.filter(start_date__lte=until)
        .exclude(state=ContractState.DRAFT)
        .order_by("partner_id")
        .values_list("partner_id", flat=True)
        .distinct()
    )


# --- the next invoice of a contract (R10.7) -----------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    """A line the next invoice would carry (R10.1, R10.7)."""

    description: str
    ticket_id: int | None
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass
class InvoicePreview:
    currency: str
    lines: list[PreviewLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass
class ContractUsage:
    contract: Contract
    day: date
    current: contract_selectors.TermUsage | None
    terms: list[contract_selectors.TermUsage]
    next_invoice: InvoicePreview


def contract_usage(contract: Contract, *, at: datetime | date | None = None) -> ContractUsage:
    """Included used and left, extra units and amount so far, per term; and the next invoice (R10.7)."""
    day = contract_selectors.day_of(at)
    current, terms = contract_selectors.term_usages(contract, day)
    return ContractUsage(
        contract=contract, day=day, current=current, terms=terms, next_invoice=next_invoice_preview(contract, at=day)
    )


def next_invoice_preview(
    contract: Contract, *, at: datetime | date | None = None, **_ignored: object
) -> InvoicePreview:
    """What the next invoice would say for this contract (R10.7): built by the billing run's builder
    from the fees of started terms not yet invoiced (R3.5) and the entries not yet invoiced (R10.1).
    """
    day = contract_selectors.day_of(at)
    fees = unbilled_fees(contract, until=day)
    entries = unbilled_entries([contract.pk])
    preview = InvoicePreview(currency=contract.currency)
    for line in line_builder.build_lines(fees, entries, labels()):
        preview.lines.append(PreviewLine(line.description, line.ticket_id, line.quantity, line.unit_price, line.net))
    return preview
