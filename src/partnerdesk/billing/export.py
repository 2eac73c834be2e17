"""CSV export of invoice lines for accounting (R10.5).

One row per line. Two styles:
- "de" (default), what German accounting imports (DATEV and most others) expect: `;` as separator,
  decimal comma, dates as DD.MM.YYYY;
- "plain": `,` as separator, decimal point, ISO dates, for spreadsheets and scripts.
The line's VAT amount is for information only: the invoice's VAT is computed per rate on the sum of
the line nets (documents.totals), so the line amounts may differ from it by cents.
Pure: no Django.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from partnerdesk.billing.documents import InvoiceDocument, cents

Style = Literal["de", "plain"]

HEADER: Final = (
    "invoice_number",
    "type_code",
    "issue_date",
    "buyer_name",
    "buyer_vat_id",
    "line_number",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "net_amount",
    "vat_category",
    "vat_rate",
    "vat_amount",
    "currency",
)


def _decimal(value: Decimal, style: Style) -> str:
    text = format(value, "f")
    return text.replace(".", ",") if style == "de" else text


def _date(value: date, style: Style) -> str:
    return value.strftime("%d.%m.%Y") if style == "de" else value.isoformat()


def lines_csv(docs: Iterable[InvoiceDocument], *, style: Style = "de") -> str:
    """Every line of every document as CSV text with a header row (no BOM, `\\r\\n` line ends)."""
    if style not in ("de", "plain"):
        raise ValueError(f"unknown CSV style {style!r}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if style == "de" else ",", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for doc in docs:
        for line in doc.lines:
            net = line.net_amount
            writer.writerow(
                (
                    doc.number,
                    doc.type_code,
                    _date(doc.issue_date, style),
                    doc.buyer.name,
                    doc.buyer.vat_id,
                    line.number,
                    line.description,
                    _decimal(line.quantity, style),
                    line.unit_code,
                    _decimal(line.unit_price, style),
                    _decimal(net, style),
                    line.vat_category,
                    _decimal(line.vat_rate, style),
                    _decimal(cents(net * line.vat_rate / 100), style),
                    doc.currency,
                )
            )
    return out.getvalue()
