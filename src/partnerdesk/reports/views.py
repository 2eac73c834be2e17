"""The report pages (R11): a list, and each report with its filters, a chart, a table and a CSV link."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import Partner, User
from partnerdesk.contracts.selectors import plans_visible_to

from . import charts, dashboards, export, selectors


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def display(value: Any, kind: str) -> str:
    """A cell in the page's language: grouped numbers, amounts with two decimals, shares in percent."""
    if value is None or value == "":
        return "–"
    if kind == "money":
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    if kind == "rate":
        return formats.number_format(Decimal(value) * 100, 1, use_l10n=True) + " %"
    if kind == "int" and isinstance(value, int):
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "int" and isinstance(value, float):  # an axis tick between whole numbers
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True)
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def month_label(value: str) -> str:
    try:
        return formats.date_format(date.fromisoformat(f"{value}-01"), "YEAR_MONTH_FORMAT")
    except ValueError:
        return value


def _cells(columns: list[selectors.Column], rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [month_label(row[c.key]) if c.key == "month" else display(row.get(c.key), c.kind) for c in columns]
        for row in rows
    ]


def chart_of(report: selectors.Report) -> charts.BarChart | None:
    if report.chart is None or not report.rows:
        return None
    bars = report.chart_rows()
    key = report.chart.label_key
    labels = [month_label(b[key]) if key == "month" else str(b[key]) for b in bars]
    series = [(str(s.label), [b[s.key] for b in bars]) for s in report.chart.series]
    chart = charts.bar_chart(labels, series, stacked=report.chart.stacked)
    return chart


def _total_labels() -> dict[str, tuple[str, str]]:
    return {
        "minutes": (_("Minutes"), "int"),
        "included_units": (_("Included units"), "int"),
        "extra_units": (_("Extra units"), "int"),
        "extra_amount": (_("Extra amount"), "money"),
        "invoiced_net": (_("Invoiced (net, cancellations netted)"), "money"),
        "cancelled_net": (_("Of which cancelled"), "money"),
        "tickets": (_("Tickets"), "int"),
        "escalated": (_("Escalated"), "int"),
        "escalation_rate": (_("Escalation rate"), "rate"),
        "third_level": (_("Ever at third level"), "int"),
        "third_level_rate": (_("Third-level rate (of escalated)"), "rate"),
        "amount": (_("Amount"), "money"),
    }


def totals_of(report: selectors.Report) -> list[tuple[str, str]]:
    labels = _total_labels()
    return [(labels[k][0], display(v, labels[k][1])) for k, v in report.totals.items() if k in labels]


@login_required
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html", {"reports": selectors.reports_for(_user(request))})


@login_required
def report_page(request: HttpRequest, name: str) -> HttpResponse:
    user = _user(request)
    errors: dict[str, list[str]] = {}
    params = dict(request.GET.items())
    while True:  # each bad filter is named and left out (R13.1); the defaults stand in for it
        try:
            report = selectors.build_report(user, name, params)
            break
        except ValidationError as exc:
            named = exc.message_dict
            errors.update(named)
            if set(named) & set(params):
                params = {k: v for k, v in params.items() if k not in named}
                continue
            # A filter the report needs and did not get (the partner of the next invoice): an empty page.
            kind = selectors.REPORTS[name]
            report = selectors.Report(name, str(kind.title), selectors.filters_for(user, {}), columns=[])
            break
    if request.GET.get("format") == "csv":
        return export.csv_response(report)
    chart = chart_of(report)
    rate_chart = bool(report.chart and report.chart.series[0].kind == "rate")
    context = {
        "report": report,
        "errors": errors,
        "cells": _cells(report.columns, report.rows),
        "details": [(t, _cells(t.columns, t.rows)) for t in report.details],
        "totals": totals_of(report),
        "chart": chart,
        "ticks": [
            (t.y, display(Decimal(str(t.value)), "rate") if rate_chart else display(t.value, "int"))
            for t in chart.ticks
        ]
        if chart
        else [],
        "partners": Partner.objects.filter(is_active=True).order_by("name").only("id", "name")
        if user.is_vendor
        else [],
        "plans": plans_visible_to(user).order_by("code").only("id", "code", "name"),
        "query": request.GET.urlencode(),
    }
    return render(request, "reports/report.html", context)


def dashboard_context(user: User) -> dict[str, Any]:
    """The dashboard's role panels (web/dashboard.html includes reports/dashboard_panels.html)."""
    panels = dashboards.panels_for(user)
    context: dict[str, Any] = {"panels": panels}
    if panels.usage:
        chart = charts.bar_chart(
            [t["label"] for t in panels.usage],
            [
                (_("Included units used"), [t["used"] for t in panels.usage]),
                (_("Included units left"), [t["left"] for t in panels.usage]),
                (_("Extra units"), [t["extra"] for t in panels.usage]),
            ],
        )
        context["usage_chart"] = chart
        context["usage_ticks"] = [(t.y, display(t.value, "int")) for t in chart.ticks]
        context["usage_title"] = _("Included time in the current terms")
    if panels.outliers is not None:
        context["outlier_cells"] = _cells(panels.outliers.columns, panels.outliers.rows)
    return context
