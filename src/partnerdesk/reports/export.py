"""A report as JSON-ready data and as CSV (R11.1): the same rows and columns the page shows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from .selectors import Column, Report


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(columns: list[Column]) -> list[dict[str, str]]:
    return [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in columns]


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "name": report.name,
        "title": str(report.title),
        "start": report.filters.start,
        "end": report.filters.end,
        "partner": report.filters.partner_id,
        "plan": report.filters.plan_id,
        "columns": _columns(report.columns),
        "rows": [{k: _plain(v) for k, v in row.items()} for row in report.rows],
        "totals": {k: _plain(v) for k, v in report.totals.items()},
        "details": [
            {
                "title": str(t.title),
                "columns": _columns(t.columns),
                "rows": [{k: _plain(v) for k, v in row.items()} for row in t.rows],
            }
            for t in report.details
        ],
    }


def csv_text(report: Report) -> str:
    """The report's main table: a header of the column labels, a line per row (amounts with a point)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(c.label) for c in report.columns])
    for row in report.rows:
        writer.writerow(["" if row.get(c.key) is None else _plain(row.get(c.key)) for c in report.columns])
    return out.getvalue()


def csv_response(report: Report) -> HttpResponse:
    response = HttpResponse(csv_text(report), content_type="text/csv; charset=utf-8")
    name = f"{report.name}_{report.filters.start:%Y-%m-%d}_{report.filters.end:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
