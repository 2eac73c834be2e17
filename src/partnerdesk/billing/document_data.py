"""An issued invoice as the fields of ``documents.InvoiceDocument`` (CII XML, PDF, Factur-X, CSV).

Read only from the invoice's snapshot (ARCHITECTURE convention 17), never from live rows.
``document_of(invoice)`` builds the ``documents.InvoiceDocument`` from them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .documents import DocumentLine, InvoiceDocument, Party
from .models import Invoice

PARTY_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_id",
    "tax_number",
    "email",
    "electronic_address",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def party_fields(snapshot: dict[str, Any]) -> dict[str, str]:
    return {name: str(snapshot.get(name) or "") for name in PARTY_FIELDS}


def document_fields(invoice: Invoice) -> dict[str, Any]:
    """Exactly the fields of ``InvoiceDocument``; parties and lines as dicts of their fields."""
    seller = party_fields(invoice.seller)
    if not seller["email"]:
        seller["email"] = seller["contact_email"]
    preceding = invoice.preceding
    lines = tuple(
        {
            "number": int(line.position),
            "description": line.description,
            "quantity": Decimal(line.quantity),
            "unit_code": line.unit_code,
            "unit_price": line.unit_price,
            "vat_category": line.vat_category,
            "vat_rate": Decimal(line.vat_rate),
            "service_start": line.service_start,
            "service_end": line.service_end or line.service_start,
            "note": line.note,
        }
        for line in invoice.lines.order_by("position")
    )
    return {
        "number": invoice.number,
        "type_code": int(invoice.type_code),
        "issue_date": invoice.issued_on,
        "due_date": invoice.due_on,
        "currency": invoice.currency,
        "seller": seller,
        "buyer": party_fields(invoice.buyer),
        "buyer_reference": invoice.buyer_reference,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "lines": lines,
        "preceding_number": preceding.number if preceding else "",
        "preceding_issue_date": preceding.issued_on if preceding else None,
        "payment_iban": invoice.payment_iban,
        "payment_bic": invoice.payment_bic,
        "bank_name": invoice.bank_name,
        "payment_terms": invoice.payment_terms,
        "notes": tuple(invoice.notes),
        "language": invoice.language,
    }


def document_of(invoice: Invoice) -> InvoiceDocument:
    """The issued invoice as the document the XML, the PDFs and the CSV are made of."""
    fields = document_fields(invoice)
    return InvoiceDocument(
        **{
            **fields,
            "seller": Party(**fields["seller"]),
            "buyer": Party(**fields["buyer"]),
            "lines": tuple(DocumentLine(**line) for line in fields["lines"]),
        }
    )
