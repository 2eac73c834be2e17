"""The invoice PDF (PDF/A-3b, WeasyPrint) and the same PDF as Factur-X / ZUGFeRD (R10.5, R10.6).

The page shows what section 14 UStG asks: both parties' names and addresses, the vendor's VAT ID
and tax number, date, number, service period, quantity and description of each line, net amount
per VAT rate, rate and VAT amount, gross total; a reverse-charge invoice carries the legal note.
It is written in the partner's language (doc.language, German or English) and under the vendor's
name: invoices go to partners, so white-label branding does not apply.

The template is rendered by its own Django template engine, so documents can be made wherever the
billing app's code runs (a worker, a command) without depending on the project's template settings.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from django.template import Context, Engine
from django.utils import translation
from django.utils.translation import gettext as _

from partnerdesk.billing.cii import cii_xml
from partnerdesk.billing.documents import (
    CENT,
    CORRECTED_INVOICE,
    CREDIT_NOTE,
    InvoiceDocument,
    legal_notes,
    totals,
)

TEMPLATES: Final = Path(__file__).resolve().parent / "templates"
ENGINE: Final = Engine(
    dirs=[str(TEMPLATES)],
    libraries={"i18n": "django.templatetags.i18n"},
    autoescape=True,
)
LANGUAGES: Final = ("de", "en")


def _language(doc: InvoiceDocument) -> str:
    return doc.language if doc.language in LANGUAGES else "en"


def _decimal(value: Decimal, language: str, *, places: int | None = None) -> str:
    """1234.5 -> "1.234,50" (de) or "1,234.50" (en); `places=None` keeps the value's own digits."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    else:
        value = value.normalize()
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    text = f"{value:,f}"
    if language == "de":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


def _money(value: Decimal, currency: str, language: str) -> str:
    return f"{_decimal(value.quantize(CENT), language, places=2)} {currency}"


def _unit_price(value: Decimal, currency: str, language: str) -> str:
    # Prices may carry more than two decimals; show at least two.
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{_decimal(value, language, places=places)} {currency}"


def _rate(value: Decimal, language: str) -> str:
    return f"{_decimal(value, language)} %"


def _date(value: date | None, language: str) -> str:
    if value is None:
        return ""
    return value.strftime("%d.%m.%Y") if language == "de" else value.isoformat()


def _unit(code: str) -> str:
    names = {"HUR": _("hours"), "C62": _("pcs."), "MON": _("months"), "DAY": _("days"), "MIN": _("minutes")}
    return names.get(code, code)


def _title(doc: InvoiceDocument) -> str:
    if doc.type_code == CORRECTED_INVOICE:
        return _("Cancellation invoice")
    if doc.type_code == CREDIT_NOTE:
        return _("Credit note")
    return _("Invoice")


def _country(code: str) -> str:
    from django_countries import countries

    return str(countries.name(code)) or code


def invoice_html(doc: InvoiceDocument) -> str:
    """The invoice page as HTML, in the document's language (what `invoice_pdf` prints)."""
    language = _language(doc)
    sums = totals(doc)
    with translation.override(language):
        lines = [
            {
                "number": line.number,
                "description": line.description,
                "note": line.note,
                "period": (
                    f"{_date(line.service_start, language)} – {_date(line.service_end, language)}"
                    if line.service_start and line.service_end
                    else ""
                ),
                "quantity": _decimal(line.quantity, language),
                "unit": _unit(line.unit_code),
                "unit_price": _unit_price(line.unit_price, doc.currency, language),
                "rate": _rate(line.vat_rate, language),
                "net": _money(line.net_amount, doc.currency, language),
            }
            for line in doc.lines
        ]
        breakdown = [
            {
                "rate": _rate(part.rate, language),
                "reason": part.exemption_reason,
                "basis": _money(part.basis, doc.currency, language),
                "vat": _money(part.vat, doc.currency, language),
                "gross": _money(part.basis + part.vat, doc.currency, language),
            }
            for part in sums.breakdown
        ]
        context = {
            "doc": doc,
            "title": _title(doc),
            "lines": lines,
            "breakdown": breakdown,
            "sums": {
                "line_total": _money(sums.line_total, doc.currency, language),
                "vat_total": _money(sums.vat_total, doc.currency, language),
                "grand_total": _money(sums.grand_total, doc.currency, language),
            },
            "notes": legal_notes(doc),
            "issue_date": _date(doc.issue_date, language),
            "due_date": _date(doc.due_date, language),
            "period_start": _date(doc.period_start, language),
            "period_end": _date(doc.period_end, language),
            "preceding_issue_date": _date(doc.preceding_issue_date, language),
            "seller_country": _country(doc.seller.country),
            "buyer_country": _country(doc.buyer.country),
            "iban": " ".join(
                doc.payment_iban.replace(" ", "")[i : i + 4] for i in range(0, len(doc.payment_iban), 4)
            ).strip(),
        }
        return ENGINE.get_template("billing/documents/invoice.html").render(Context(context))


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as PDF/A-3b."""
    from weasyprint import HTML

    html = invoice_html(doc)
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant="pdf/a-3b")
    return pdf


def facturx_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice PDF with its EN 16931 CII XML embedded as factur-x.xml (Factur-X / ZUGFeRD 2)."""
    from facturx import generate_from_binary

    language = _language(doc)
    with translation.override(language):
        title = f"{_title(doc)} {doc.number}"
    result: bytes = generate_from_binary(
        invoice_pdf(doc),
        cii_xml(doc, profile="en16931"),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        check_schematron=False,  # the rules run in the tests, offline; factur-x would call a server
        pdf_metadata={
            "author": doc.seller.name,
            "keywords": "Factur-X, ZUGFeRD, EN 16931",
            "title": title,
            "subject": title,
        },
        lang=language,
        afrelationship="alternative",  # ZUGFeRD: the XML is an equal alternative to the visible invoice
    )
    return result
