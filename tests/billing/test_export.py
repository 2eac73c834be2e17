"""CSV export of invoice lines for accounting (R10.5)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import Decimal

import pytest

from partnerdesk.billing.documents import totals
from partnerdesk.billing.export import HEADER, lines_csv
from tests.billing import samples


def _rows(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_r10_5_csv_has_one_row_per_line_in_german_accounting_format():
    docs = [samples.german_invoice(), samples.reverse_charge_invoice(), samples.cancellation(384)]

    rows = _rows(lines_csv(docs), ";")

    assert rows[0] == list(HEADER)
    assert len(rows) == 1 + sum(len(doc.lines) for doc in docs)
    assert rows[2] == [
        "RE-2026-0001",
        "380",
        "01.12.2026",
        "Systemhaus Nord GmbH",
        "DE987654321",
        "2",
        "Ticket T-1001: extra support",
        "3",
        "C62",
        "37,25",
        "111,75",
        "S",
        "19",
        "21,23",
        "EUR",
    ]
    # 0.5 x 0.25 = 0.125 -> 0.13 net; 19 % of 0.13 = 0.0247 -> 0.02 (information only)
    assert rows[3][7:14] == ["0,5", "HUR", "0,25", "0,13", "S", "19", "0,02"]
    reverse_charge = rows[5]
    assert (reverse_charge[0], reverse_charge[4], reverse_charge[11], reverse_charge[12]) == (
        "RE-2026-0002",
        "ATU12345678",
        "AE",
        "0",
    )
    cancellation = rows[9]
    assert (cancellation[0], cancellation[1], cancellation[7], cancellation[10]) == (
        "RE-2026-0003",
        "384",
        "-1",
        "-490,00",
    )


def test_r10_5_csv_plain_style_uses_comma_and_decimal_point():
    rows = _rows(lines_csv([samples.german_invoice()], style="plain"), ",")

    assert rows[1][2] == "2026-12-01"
    assert rows[2][9:11] == ["37.25", "111.75"]


def test_r10_5_csv_quotes_a_description_with_the_separator():
    doc = samples.german_invoice()
    line = doc.lines[0]
    doc = replace(doc, lines=(replace(line, description='Plan "M"; November'),))

    assert _rows(lines_csv([doc]), ";")[1][6] == 'Plan "M"; November'


def test_r10_5_csv_net_per_invoice_adds_up_to_the_line_total():
    doc = samples.german_invoice()
    rows = _rows(lines_csv([doc]), ";")[1:]
    assert sum(Decimal(row[10].replace(",", ".")) for row in rows) == totals(doc).line_total


def test_r10_5_csv_unknown_style_is_refused():
    with pytest.raises(ValueError):
        lines_csv([], style="xlsx")  # type: ignore[arg-type]
