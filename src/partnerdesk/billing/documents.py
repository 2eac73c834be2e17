"""The invoice as a plain, frozen snapshot, and its totals (R10.3, R10.5, R10.6).

Pure: no Django and no database. The billing app maps an issued invoice onto `InvoiceDocument`;
the PDF, the CII XML (Factur-X, XRechnung) and the CSV export are all built from it, so every output
shows the same figures.

Rounding follows EN 16931: each line net (quantity x unit price) is rounded half-up to the cent,
VAT is computed per (category, rate) on the sum of the line nets and rounded half-up to the cent
(BR-CO-10 line total, BR-CO-14 VAT total, BR-CO-15 grand total).

Cancellation: type code 384 (corrected invoice) carries the original's lines negated (negative
quantities; EN 16931 allows them, the unit price stays >= 0, BR-27) and the preceding invoice
reference (BG-3). A 381 credit note keeps positive quantities: the document type itself says that
the amounts are credited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

CENT: Final = Decimal("0.01")

INVOICE: Final = 380
CREDIT_NOTE: Final = 381
CORRECTED_INVOICE: Final = 384
TYPE_CODES: Final = (INVOICE, CREDIT_NOTE, CORRECTED_INVOICE)

# EN 16931 VAT category codes (UNTDID 5305) used by the desk.
STANDARD_RATE: Final = "S"
REVERSE_CHARGE: Final = "AE"
ZERO_RATED: Final = "Z"
EXEMPT: Final = "E"
OUTSIDE_SCOPE: Final = "O"
INTRA_COMMUNITY: Final = "K"
EXPORT: Final = "G"

# Exemption reason texts (BT-120) and codes (BT-121) for the categories that need one (BR-AE-10 etc.).
# Held here rather than in the gettext catalog so this module stays free of Django; they are the
# legal wording, in the two languages an invoice is written in.
EXEMPTION_REASONS: Final[dict[str, dict[str, str]]] = {
    REVERSE_CHARGE: {"de": "Steuerschuldnerschaft des Leistungsempfängers", "en": "Reverse charge"},
    OUTSIDE_SCOPE: {"de": "Nicht im Inland steuerbare Leistung", "en": "Not subject to VAT"},
    EXEMPT: {"de": "Steuerfreie Leistung", "en": "Exempt from VAT"},
    INTRA_COMMUNITY: {"de": "Steuerfreie innergemeinschaftliche Lieferung", "en": "Intra-community supply"},
    EXPORT: {"de": "Steuerfreie Ausfuhrlieferung", "en": "Export outside the EU"},
}
EXEMPTION_CODES: Final[dict[str, str]] = {
    REVERSE_CHARGE: "VATEX-EU-AE",
    OUTSIDE_SCOPE: "VATEX-EU-O",
    INTRA_COMMUNITY: "VATEX-EU-IC",
    EXPORT: "VATEX-EU-G",
}
# The legal note a reverse-charge invoice carries (section 14a (5) UStG, Art. 226 (11a) VAT Directive).
REVERSE_CHARGE_NOTES: Final[dict[str, str]] = {
    "de": "Steuerschuldnerschaft des Leistungsempfängers (§ 13b UStG, Art. 196 MwStSystRL).",
    "en": "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Council Directive 2006/112/EC).",
}


def cents(amount: Decimal) -> Decimal:
    """Round half-up to the cent (0.125 -> 0.13, -0.125 -> -0.13)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Party:
    """Seller or buyer as printed on the invoice; country is ISO 3166 alpha-2.

    electronic_address is BT-34/BT-49, sent with scheme "EM" (e-mail).
    """

    name: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str = ""
    tax_number: str = ""
    email: str = ""
    electronic_address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """One invoice line; unit_code is UN/ECE Rec. 20 (HUR hour, C62 piece, MON month)."""

    number: int
    description: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    service_start: date | None = None
    service_end: date | None = None
    note: str = ""

    @property
    def net_amount(self) -> Decimal:
        return cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class InvoiceDocument:
    """An issued invoice, cancellation or credit note, copied from the database (a snapshot)."""

    number: str
    type_code: int
    issue_date: date
    due_date: date | None
    seller: Party
    buyer: Party
    buyer_reference: str
    period_start: date
    period_end: date
    lines: tuple[DocumentLine, ...]
    currency: str = "EUR"
    preceding_number: str = ""
    preceding_issue_date: date | None = None
    payment_iban: str = ""
    payment_bic: str = ""
    bank_name: str = ""
    payment_terms: str = ""
    notes: tuple[str, ...] = ()
    language: str = "de"


@dataclass(frozen=True)
class VatBreakdown:
    """One VAT breakdown (BG-23): the sum of the line nets of one category and rate, and its VAT."""

    category: str
    rate: Decimal
    basis: Decimal
    vat: Decimal
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass(frozen=True)
class Totals:
    """Document totals (BG-22); no document-level allowances, charges or prepayments."""

    breakdown: tuple[VatBreakdown, ...]
    line_total: Decimal
    tax_basis_total: Decimal
    vat_total: Decimal
    grand_total: Decimal
    due_payable: Decimal = field(default=Decimal("0.00"))


def exemption_reason(category: str, language: str) -> str:
    texts = EXEMPTION_REASONS.get(category)
    if not texts:
        return ""
    return texts.get(language, texts["en"])


def totals(doc: InvoiceDocument) -> Totals:
    """The totals of a document, computed from its lines as EN 16931 prescribes."""
    bases: dict[tuple[str, Decimal], Decimal] = {}
    for line in doc.lines:
        key = (line.vat_category, Decimal(line.vat_rate))
        bases[key] = bases.get(key, Decimal("0.00")) + line.net_amount
    breakdown = tuple(
        VatBreakdown(
            category=category,
            rate=rate,
            basis=basis,
            vat=cents(basis * rate / 100),
            exemption_reason=exemption_reason(category, doc.language),
            exemption_code=EXEMPTION_CODES.get(category, ""),
        )
        for (category, rate), basis in sorted(bases.items(), key=lambda item: (item[0][0], item[0][1]))
    )
    line_total = sum((line.net_amount for line in doc.lines), Decimal("0.00"))
    vat_total = sum((part.vat for part in breakdown), Decimal("0.00"))
    grand_total = line_total + vat_total
    return Totals(
        breakdown=breakdown,
        line_total=line_total,
        tax_basis_total=line_total,
        vat_total=vat_total,
        grand_total=grand_total,
        due_payable=grand_total,
    )


def legal_notes(doc: InvoiceDocument) -> tuple[str, ...]:
    """The document's notes plus those the law asks for (the reverse-charge note)."""
    notes = list(doc.notes)
    if any(line.vat_category == REVERSE_CHARGE for line in doc.lines):
        notes.append(REVERSE_CHARGE_NOTES.get(doc.language, REVERSE_CHARGE_NOTES["en"]))
    return tuple(notes)


def cancellation_of(
    original: InvoiceDocument,
    *,
    number: str,
    issue_date: date,
    type_code: int = CORRECTED_INVOICE,
    notes: Iterable[str] = (),
) -> InvoiceDocument:
    """The cancellation of `original`: its own number, a reference to the original (BG-3).

    As 384 (corrected invoice, the default) the lines are negated; as 381 (credit note) they keep
    their sign, because the credit note type already means the amounts are credited.
    """
    if type_code not in (CORRECTED_INVOICE, CREDIT_NOTE):
        raise ValueError(f"a cancellation is 384 or 381, not {type_code}")
    lines = original.lines
    if type_code == CORRECTED_INVOICE:
        lines = tuple(replace(line, quantity=-line.quantity) for line in lines)
    return replace(
        original,
        number=number,
        type_code=type_code,
        issue_date=issue_date,
        due_date=None,
        lines=lines,
        preceding_number=original.number,
        preceding_issue_date=original.issue_date,
        notes=tuple(notes),
    )


# --- what an XRechnung needs of the master data (R10.6) --------------------------------------------

# The German CIUS's business rules that depend on master data rather than on the lines: seller and
# buyer address (BR-DE-3, -4, -8, -9), the seller contact (BR-DE-2, -5, -6, -7), the seller's VAT ID
# or tax number (BR-DE-16), payment instructions (BR-DE-1 with an IBAN), the buyer reference
# (BR-DE-15) and both parties' electronic addresses (BT-34, BT-49, mandatory since XRechnung 3.0).
XRECHNUNG_SELLER_FIELDS: Final = ("name", "street", "postal_code", "city", "country")
XRECHNUNG_CONTACT_FIELDS: Final = ("contact_name", "contact_phone", "contact_email")
XRECHNUNG_BUYER_FIELDS: Final = ("name", "postal_code", "city", "country", "buyer_reference")


def xrechnung_gaps(seller: dict[str, str], buyer: dict[str, str], *, iban: str) -> list[str]:
    """The master-data fields an XRechnung of these parties would lack, as ``seller.<field>`` and
    ``buyer.<field>`` (the snapshot keys an invoice copies); empty when it can be issued."""
    gaps = [f"seller.{name}" for name in XRECHNUNG_SELLER_FIELDS + XRECHNUNG_CONTACT_FIELDS if not seller.get(name)]
    if not (seller.get("vat_id") or seller.get("tax_number")):
        gaps.append("seller.vat_id")
    if not (seller.get("electronic_address") or seller.get("contact_email")):
        gaps.append("seller.electronic_address")
    if not iban:
        gaps.append("seller.iban")
    gaps += [f"buyer.{name}" for name in XRECHNUNG_BUYER_FIELDS if not buyer.get(name)]
    if not buyer.get("email"):
        gaps.append("buyer.email")
    return gaps
