"""Invoicing API: billing runs, invoices, cancellation (R10.1-R10.4, R10.7)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user

from . import delivery, selectors, services
from .document_data import document_of
from .export import lines_csv
from .models import BillingRun, Invoice, InvoiceFile, InvoiceLine
from .periods import parse_period

router = Router(tags=["invoices"])

StateName = Literal["draft", "issued", "cancelled"]
RunStateName = Literal["queued", "running", "done", "failed"]
ExportStyle = Literal["de", "plain"]


class BillingRunIn(Strict):
    period: str = Field(..., description="The month to bill, YYYY-MM.", max_length=7)
    dry_run: StrictBool = False
    partner: ObjectId | None = Field(
        None, description="Bill only this partner (a corrected invoice after a cancellation with rebill)."
    )


class CancelIn(Strict):
    rebill: StrictBool = Field(
        False,
        description="Release the invoice's entries and fees: they can be corrected and are billed again by the "
        "next run (or a run for this partner) on a corrected invoice (R10.3).",
    )


class BillingRunOut(Schema):
    id: int
    period: str
    dry_run: bool
    partner_id: int | None
    state: RunStateName
    progress: dict[str, int]
    preview: list[dict[str, Any]]
    held_back: list[dict[str, Any]]
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_progress(obj: BillingRun) -> dict[str, int]:
        return {
            "partners_total": obj.partners_total,
            "partners_done": obj.partners_done,
            "invoices_issued": obj.invoices_issued,
        }


class InvoiceLineOut(Schema):
    position: int
    kind: str
    description: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    net: Decimal
    vat_category: str
    vat_rate: Decimal
    service_start: date
    service_end: date | None
    ticket_id: int | None
    time_entry_ids: list[int]


class InvoiceOut(Schema):
    id: int
    number: str
    partner_id: int
    type_code: int
    state: StateName
    period: str
    period_start: date
    period_end: date
    issued_on: date
    due_on: date
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    vat_breakdown: list[dict[str, Any]]
    preceding_id: int | None
    seller: dict[str, Any]
    buyer: dict[str, Any]
    notes: list[str]


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[InvoiceLine]:
        return list(obj.lines.all())


def _run(request: HttpRequest, run_id: int) -> BillingRun:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.billing_runs_visible_to(user), run_id, user=user)


def _invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.invoices_visible_to(user), invoice_id, user=user)


@router.get("/billing-runs", response=list[BillingRunOut], summary="Billing runs, newest first (Billing)")
@paginate(LimitOffset)
def list_billing_runs(request: HttpRequest):  # type: ignore[no-untyped-def]
    selectors.ensure_billing_staff(_user(request))
    return selectors.billing_runs_visible_to(_user(request)).order_by("-created_at", "-pk")


@router.post(
    "/billing-runs",
    response={202: BillingRunOut},
    summary="Start the billing run of a period (R10.1); executed by the worker, rerunnable (R10.4)",
)
def start_billing_run(request: HttpRequest, payload: BillingRunIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    selectors.ensure_billing_staff(user)
    partner = None
    if payload.partner is not None:
        partner = account_selectors.get_visible_or_404(
            account_selectors.partners_visible_to(user), payload.partner, user=user
        )
    run = services.start_billing_run(acting_user=user, period=payload.period, dry_run=payload.dry_run, partner=partner)
    return Status(202, run)


@router.get("/billing-runs/{run_id}", response=BillingRunOut, summary="A billing run, its state and progress")
def get_billing_run(request: HttpRequest, run_id: ObjectId):  # type: ignore[no-untyped-def]
    return _run(request, run_id)


@router.get("/invoices", response=list[InvoiceOut], summary="Invoices, newest first (partners: their own)")
@paginate(LimitOffset)
def list_invoices(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    partner: ObjectId | None = None,
    period: str | None = None,
    state: StateName | None = None,
):
    invoices = selectors.invoices_visible_to(_user(request))
    if partner is not None:
        invoices = invoices.filter(partner_id=partner)
    if period is not None:
        parsed = parse_period(period)
        if parsed is None:
            raise ValidationError({"period": _("Enter a month as YYYY-MM, for example 2026-11.")})
        invoices = invoices.filter(period=parsed.key)
    if state is not None:
        invoices = invoices.filter(state=state)
    return invoices.order_by("-issued_at", "-pk")


@router.get(
    "/invoices/export",
    response={200: None},
    summary="The invoice lines of a period as CSV for accounting (`style=de`: `;` and decimal comma; `plain`)",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
def export_invoices(request: HttpRequest, period: str, style: ExportStyle = "de"):  # type: ignore[no-untyped-def]
    user = _user(request)
    selectors.ensure_billing_staff(user)
    parsed = parse_period(period)
    if parsed is None:
        raise ValidationError({"period": _("Enter a month as YYYY-MM, for example 2026-11.")})
    invoices = selectors.invoices_visible_to(user).filter(period=parsed.key).order_by("sequence", "pk")
    text = lines_csv([document_of(invoice) for invoice in invoices.prefetch_related("lines")], style=style)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="invoice-lines-{parsed.key}.csv"'
    return response


def _file(request: HttpRequest, invoice_id: int, kind: str) -> HttpResponse:
    file = delivery.stored_file(_invoice(request, invoice_id), kind)
    response = HttpResponse(bytes(file.content), content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None},
    summary="The invoice as PDF/A-3 with its ZUGFeRD/Factur-X XML embedded (the stored bytes)",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
def invoice_pdf(request: HttpRequest, invoice_id: ObjectId):  # type: ignore[no-untyped-def]
    return _file(request, invoice_id, InvoiceFile.Kind.PDF)


@router.get(
    "/invoices/{invoice_id}/xrechnung",
    response={200: None},
    summary="The invoice as XRechnung 3.0 (UN/CEFACT CII XML; the stored bytes)",
    openapi_extra={"responses": {200: {"description": "XML", "content": {"application/xml": {}}}}},
)
def invoice_xrechnung(request: HttpRequest, invoice_id: ObjectId):  # type: ignore[no-untyped-def]
    return _file(request, invoice_id, InvoiceFile.Kind.XRECHNUNG)


@router.get("/invoices/{invoice_id}", response=InvoiceDetailOut, summary="One invoice with its lines")
def get_invoice(request: HttpRequest, invoice_id: ObjectId):  # type: ignore[no-untyped-def]
    return _invoice(request, invoice_id)


@router.post(
    "/invoices/{invoice_id}/cancel",
    response={201: InvoiceDetailOut},
    summary="Cancel an invoice: issues its cancellation invoice (R10.3), which is answered",
)
def cancel_invoice(request: HttpRequest, invoice_id: ObjectId, payload: CancelIn | None = None):  # type: ignore[no-untyped-def]
    invoice = _invoice(request, invoice_id)
    selectors.ensure_billing_staff(_user(request))
    rebill = payload.rebill if payload is not None else False
    cancellation = services.cancel_invoice(acting_user=_user(request), invoice=invoice, rebill=rebill)
    return Status(201, cancellation)
