"""GET /api/v1/reports and /api/v1/reports/{name} (R11, R12.2): JSON, or CSV with ?format=csv.

The manual's deflection keeps its own route, GET /api/v1/reports/manual-deflection (partnerdesk.manual.api,
registered before this router), and is listed here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from partnerdesk.api.fields import ObjectId
from partnerdesk.api.schemas import acting_user as _user

from . import export, selectors

router = Router(tags=["reports"])


class ReportKindOut(Schema):
    name: str
    title: str


class ReportIn(Schema):
    start: date | None = Field(None, alias="from", description="First day (inclusive); default: a year before to")
    end: date | None = Field(None, alias="to", description="Last day (inclusive); default: today")
    partner: ObjectId | None = Field(None, description="Only this partner (a partner user: always its own)")
    plan: ObjectId | None = Field(None, description="Only contracts on this plan")
    format: str = Field("json", description="json or csv", pattern="^(json|csv)$")


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(..., description="int, money (decimal string), rate (0..1), text, date, datetime")


class TableOut(Schema):
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


class ReportOut(Schema):
    name: str
    title: str
    start: date = Field(..., serialization_alias="from")
    end: date = Field(..., serialization_alias="to")
    partner: int | None
    plan: int | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    details: list[TableOut]


@router.get("/reports", response=list[ReportKindOut], summary="The reports this user may read (R11)")
def report_list(request: HttpRequest) -> list[dict[str, str]]:
    return [{"name": k.name, "title": str(k.title)} for k in selectors.reports_for(_user(request))]


@router.get(
    "/reports/{name}",
    response=ReportOut,
    by_alias=True,
    summary="One report, filtered by period, partner and plan; ?format=csv for a CSV file (R11.1, R11.2)",
)
def report_detail(request: HttpRequest, name: str, query: Query[ReportIn]):  # type: ignore[no-untyped-def]
    params = {
        "from": query.start.isoformat() if query.start else None,
        "to": query.end.isoformat() if query.end else None,
        "partner": query.partner,
        "plan": query.plan,
    }
    if query.format not in ("json", "csv"):
        raise ValidationError({"format": _("Choose json or csv.")})
    report = selectors.build_report(_user(request), name, params)
    if query.format == "csv":
        return export.csv_response(report)
    return export.as_dict(report)


__all__ = ["router", "HttpResponse"]
