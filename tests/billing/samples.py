"""Invoice documents as the billing app would map them: a German partner, an EU partner, a cancellation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from partnerdesk.billing.documents import DocumentLine, InvoiceDocument, Party, cancellation_of

VENDOR = Party(
    name="Softwarehaus Muster GmbH",
    street="Hauptstraße 1",
    postal_code="10115",
    city="Berlin",
    country="DE",
    vat_id="DE123456789",
    tax_number="30/123/45678",
    email="rechnung@softwarehaus.example",
    electronic_address="rechnung@softwarehaus.example",
    contact_name="Erika Buchhalter",
    contact_phone="+49 30 1234567",
    contact_email="buchhaltung@softwarehaus.example",
)
GERMAN_PARTNER = Party(
    name="Systemhaus Nord GmbH",
    street="Hafenstraße 7",
    postal_code="20457",
    city="Hamburg",
    country="DE",
    vat_id="DE987654321",
    email="einkauf@systemhaus-nord.example",
    electronic_address="einkauf@systemhaus-nord.example",
)
AUSTRIAN_PARTNER = Party(
    name="Alpen IT GmbH",
    street="Ringstraße 3",
    postal_code="1010",
    city="Wien",
    country="AT",
    vat_id="ATU12345678",
    electronic_address="office@alpen-it.example",
)


def german_invoice(**changes: object) -> InvoiceDocument:
    document = InvoiceDocument(
        number="RE-2026-0001",
        type_code=380,
        issue_date=date(2026, 12, 1),
        due_date=date(2026, 12, 15),
        seller=VENDOR,
        buyer=GERMAN_PARTNER,
        buyer_reference="P-0042",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        lines=(
            DocumentLine(
                1,
                "Support plan M, November 2026",
                Decimal("1"),
                "C62",
                Decimal("490.00"),
                "S",
                Decimal("19"),
                date(2026, 11, 1),
                date(2026, 11, 30),
            ),
            DocumentLine(
                2,
                "Ticket T-1001: extra support",
                Decimal("3"),
                "C62",
                Decimal("37.25"),
                "S",
                Decimal("19"),
                date(2026, 11, 3),
                date(2026, 11, 3),
                note="3 units of 15 minutes",
            ),
            DocumentLine(3, "Ticket T-1002: extra support", Decimal("0.5"), "HUR", Decimal("0.25"), "S", Decimal("19")),
            DocumentLine(
                4, "Included support used (information)", Decimal("6"), "C62", Decimal("0"), "S", Decimal("19")
            ),
        ),
        payment_iban="DE02120300000000202051",
        payment_bic="BYLADEM1001",
        bank_name="Deutsche Kreditbank Berlin",
        payment_terms="Zahlbar innerhalb von 14 Tagen ohne Abzug.",
        language="de",
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def reverse_charge_invoice(**changes: object) -> InvoiceDocument:
    document = german_invoice(
        number="RE-2026-0002",
        buyer=AUSTRIAN_PARTNER,
        buyer_reference="P-0043",
        language="en",
        payment_terms="Payable within 14 days without deduction.",
    )
    document = replace(
        document,
        lines=tuple(replace(line, vat_category="AE", vat_rate=Decimal("0")) for line in document.lines),
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def cancellation(type_code: int = 384) -> InvoiceDocument:
    return cancellation_of(german_invoice(), number="RE-2026-0003", issue_date=date(2026, 12, 5), type_code=type_code)
