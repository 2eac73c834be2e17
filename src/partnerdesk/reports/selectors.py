"""The reports (R11): read-only figures for the vendor and for each partner, aggregated in SQL.

Every report takes the asking user and the same filters (period, partner, plan) and answers a `Report`:
columns, rows (plain values: ints, Decimal amounts, strings), an optional chart and optional detail
tables. A partner user sees only its own partner's figures; a partner or plan it may not see is a 404.
The vendor sees end customers by pseudonym unless the partner revealed the name (R1.3).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnerdesk.accounts.choices import SecurityEvent
from partnerdesk.accounts.models import Partner, User
from partnerdesk.accounts.security_log import log_security_event
from partnerdesk.accounts.selectors import get_visible_or_404
from partnerdesk.billing import selectors as billing_selectors
from partnerdesk.billing.models import Invoice
from partnerdesk.contracts import pricing
from partnerdesk.contracts.choices import ContractState, RateScope
from partnerdesk.contracts.models import ContractTerm, Plan
from partnerdesk.contracts.selectors import plans_visible_to
from partnerdesk.tickets import clocks, deflection
from partnerdesk.tickets.choices import Category, HandBackReason, Level
from partnerdesk.tickets.models import Ticket, TicketTransition
from partnerdesk.worklog.models import TimeEntry

MAX_DAYS = 366 * 3
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
DAY_RANGE = {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
BREACHES_LISTED = 50
NEAR_LIMIT = Decimal("0.80")  # a term at 80 % of its included units is "near" (the Sales view)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    partner_id: int | None = None
    plan_id: int | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # int, money, rate, text, date, datetime


@dataclass
class Chart:
    """A bar chart: one bar per label, the series stacked (R11.3)."""

    label_key: str
    series: list[Column]
    stacked: bool = True


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Report:
    name: str
    title: str
    filters: Filters
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    chart: Chart | None = None
    details: list[Table] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)

    def chart_rows(self) -> list[dict[str, Any]]:
        """The chart's bars: rows summed per label (e.g. per month over partners and contracts)."""
        if self.chart is None:
            return []
        summed: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            label = str(row[self.chart.label_key])
            bar = summed.setdefault(label, {self.chart.label_key: label} | {s.key: 0 for s in self.chart.series})
            for s in self.chart.series:
                bar[s.key] += row.get(s.key) or 0
        return [summed[k] for k in sorted(summed)]


# --- filters and scope -------------------------------------------------------------------------


def _ensure_active(user: User) -> None:
    if not user.is_active or (user.is_partner and user.partner_id is None):
        raise PermissionDenied(_("Your role does not allow this action."))


def _parse_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: _("Enter a date as YYYY-MM-DD.")}) from None


def _parse_id(value: str | int | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError({name: _("Enter a whole number.")}) from None
    if number < 1 or number > 2**63 - 1:
        raise Http404
    return number


def filters_for(user: User, params: Mapping[str, Any]) -> Filters:
    """The filters from query parameters `from`, `to`, `partner`, `plan`, checked against the user.

    Default period: the last twelve months up to today. A partner user's figures are always its own:
    another partner, or a plan it cannot see, is a 404 (R1.1).
    """
    _ensure_active(user)
    end = _parse_date(params.get("to"), "to") or timezone.localdate()
    for name, value in (("from", params.get("from")), ("to", end)):
        parsed = _parse_date(value, name) if isinstance(value, str) else value
        if parsed is not None and not FIRST_DAY <= parsed <= LAST_DAY:
            raise ValidationError({name: _("Choose a day between %(first)s and %(last)s.") % DAY_RANGE})
    start = _parse_date(params.get("from"), "from") or pricing.add_months(end, -12) + timedelta(days=1)
    if end < start:
        raise ValidationError({"to": _("The last day comes before the first.")})
    if (end - start).days > MAX_DAYS:
        raise ValidationError({"to": _("Choose a period of at most three years.")})
    partner_id = _parse_id(params.get("partner"), "partner")
    plan_id = _parse_id(params.get("plan"), "plan")
    if user.is_partner:
        if partner_id is not None:
            # Another partner looks like a missing one, and the attempt is logged (R1.1, R1.5).
            get_visible_or_404(Partner.objects.filter(pk=user.partner_id), partner_id, user=user)
        partner_id = user.partner_id
    elif partner_id is not None:
        get_visible_or_404(Partner.objects.all(), partner_id, user=user)
    if plan_id is not None:
        get_visible_or_404(plans_visible_to(user).only("id"), plan_id, user=user)
    return Filters(start=start, end=end, partner_id=partner_id, plan_id=plan_id)


@functools.lru_cache(maxsize=512)
def _month(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value:%Y-%m}"


def _customer_label(user: User, row: Mapping[str, Any]) -> str:
    """The end customer's name for the partner, its pseudonym for the vendor unless revealed (R1.3)."""
    if user.is_partner or row["end_customer__name_revealed"]:
        return str(row["end_customer__name"])
    return f"P{row['end_customer__partner__number']:02d}-C{row['end_customer__number']:04d}"


# --- time per partner, contract and month (R11.1, R11.2) ----------------------------------------


def _entries(f: Filters) -> QuerySet[TimeEntry]:
    low, high = f.bounds()
    entries = TimeEntry.objects.filter(billable=True, started_at__gte=low, started_at__lt=high)
    if f.partner_id:
        entries = entries.filter(contract__partner_id=f.partner_id)
    if f.plan_id:
        entries = entries.filter(contract__plan_id=f.plan_id)
    return entries


def time_report(user: User, f: Filters) -> Report:
    """Included and extra units per partner, contract and month (billable entries started in the period)."""
    rows = (
        _entries(f)
        .annotate(month=TruncMonth("started_at"))
        .values("month", "contract__partner_id", "contract__partner__name", "contract_id", "contract__plan__code")
        .annotate(
            minutes=Sum("minutes"),
            included_units=Sum("included_units"),
            extra_units=Sum("extra_units"),
            extra_cents=Sum("amount_cents"),
        )
        .order_by("month", "contract__partner__name", "contract_id")
    )
    report = Report(
        name="time",
        title=_("Time per partner, contract and month"),
        filters=f,
        columns=[
            Column("month", _("Month"), "text"),
            Column("partner", _("Partner"), "text"),
            Column("contract_id", _("Contract"), "int"),
            Column("plan", _("Plan"), "text"),
            Column("minutes", _("Minutes"), "int"),
            Column("included_units", _("Included units"), "int"),
            Column("extra_units", _("Extra units"), "int"),
            Column("extra_amount", _("Extra amount"), "money"),
        ],
        chart=Chart("month", [Column("included_units", _("Included units")), Column("extra_units", _("Extra units"))]),
    )
    for r in rows:
        report.rows.append(
            {
                "month": _month(r["month"]),
                "partner_id": r["contract__partner_id"],
                "partner": r["contract__partner__name"],
                "contract_id": r["contract_id"],
                "plan": r["contract__plan__code"],
                "minutes": r["minutes"],
                "included_units": r["included_units"],
                "extra_units": r["extra_units"],
                "extra_amount": pricing.money(r["extra_cents"]),
            }
        )
    report.totals = {
        key: sum((row[key] for row in report.rows), Decimal("0.00") if key == "extra_amount" else 0)
        for key in ("minutes", "included_units", "extra_units", "extra_amount")
    }
    return report


# --- extra and invoiced revenue per month (R11.1) -----------------------------------------------


def revenue_report(user: User, f: Filters) -> Report:
    """Extra revenue per month (entries started in the month) and invoiced net per month (invoices
    issued in the month, cancellation invoices netted: they carry negative amounts, R10.3).
    Invoices are per partner, so the plan filter applies to the extra revenue only."""
    _ensure_vendor(user)
    extra = {
        _month(r["month"]): r["cents"]
        for r in _entries(f)
        .annotate(month=TruncMonth("started_at"))
        .values("month")
        .annotate(cents=Sum("amount_cents"))
    }
    invoices = Invoice.objects.filter(issued_on__gte=f.start, issued_on__lte=f.end)
    if f.partner_id:
        invoices = invoices.filter(partner_id=f.partner_id)
    invoiced = {
        _month(r["month"]): (r["net"], r["cancelled"])
        for r in invoices.annotate(month=TruncMonth("issued_on"))
        .values("month")
        .annotate(net=Sum("net_cents"), cancelled=Sum("net_cents", filter=Q(net_cents__lt=0)))
    }
    report = Report(
        name="revenue",
        title=_("Extra revenue and invoiced revenue per month"),
        filters=f,
        columns=[
            Column("month", _("Month"), "text"),
            Column("extra_amount", _("Extra revenue"), "money"),
            Column("invoiced_net", _("Invoiced (net, cancellations netted)"), "money"),
            Column("cancelled_net", _("Of which cancelled"), "money"),
        ],
        chart=Chart(
            "month",
            [Column("extra_amount", _("Extra revenue"), "money"), Column("invoiced_net", _("Invoiced"), "money")],
            stacked=False,
        ),
    )
    for month in sorted(set(extra) | set(invoiced)):
        net, cancelled = invoiced.get(month, (0, 0))
        report.rows.append(
            {
                "month": month,
                "extra_amount": pricing.money(extra.get(month) or 0),
                "invoiced_net": pricing.money(net or 0),
                "cancelled_net": pricing.money(cancelled or 0),
            }
        )
    report.totals = {
        key: sum((row[key] for row in report.rows), Decimal("0.00"))
        for key in ("extra_amount", "invoiced_net", "cancelled_net")
    }
    return report


# --- service levels per plan (R6.3, R11.1, R11.2) -----------------------------------------------


def _percentile(values: list[int], share: float) -> int | None:
    """The nearest-rank percentile (PostgreSQL's percentile_disc): the smallest value with at least
    `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-int(share * 1000) * len(ordered) // 1000))  # ceil(share * n)
    return ordered[rank - 1]


def _escalated(f: Filters) -> QuerySet[Ticket]:
    low, high = f.bounds()
    tickets = Ticket.objects.filter(escalated_at__gte=low, escalated_at__lt=high)
    if f.partner_id:
        tickets = tickets.filter(partner_id=f.partner_id)
    if f.plan_id:
        tickets = tickets.filter(charged_contract__plan_id=f.plan_id)
    return tickets


def service_level_report(user: User, f: Filters) -> Report:
    """Per plan, of the tickets escalated in the period: the share of first responses and of
    resolutions within target, median and 90th percentile in support minutes, and the breaches.

    Support minutes used = target - support minutes left at the response (or resolution); the due
    times already moved on by every pause while the ticket waited for the partner (R6.3)."""
    now = timezone.now()
    tickets = _escalated(f)
    response_ok = Q(first_response_at__isnull=False, first_response_at__lte=F("first_response_due_at"))
    response_breach = Q(first_response_due_at__isnull=False) & (
        Q(first_response_at__gt=F("first_response_due_at"))
        | Q(first_response_at__isnull=True, first_response_due_at__lt=now)
    )
    resolution_ok = Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))
    resolution_breach = Q(resolution_due_at__isnull=False) & (
        Q(resolved_at__gt=F("resolution_due_at")) | Q(resolved_at__isnull=True, resolution_due_at__lt=now)
    )
    per_plan = (
        tickets.values("charged_contract__plan_id", "charged_contract__plan__code")
        .annotate(
            tickets=Count("id"),
            response_targets=Count("id", filter=Q(first_response_due_at__isnull=False)),
            responded_in_time=Count("id", filter=response_ok),
            responses_breached=Count("id", filter=response_breach),
            resolution_targets=Count("id", filter=Q(resolution_due_at__isnull=False)),
            resolved_in_time=Count("id", filter=resolution_ok),
            resolutions_breached=Count("id", filter=resolution_breach),
        )
        .order_by("charged_contract__plan__code")
    )
    used = _support_minutes_used(tickets, f)
    report = Report(
        name="service-levels",
        title=_("Service levels per plan"),
        filters=f,
        columns=[
            Column("plan", _("Plan"), "text"),
            Column("tickets", _("Escalated tickets"), "int"),
            Column("responded_in_time", _("First responses within target"), "int"),
            Column("response_share", _("Share within target (first response)"), "rate"),
            Column("response_median", _("Median first response (support minutes)"), "int"),
            Column("response_p90", _("90th percentile first response (support minutes)"), "int"),
            Column("responses_breached", _("First responses breached"), "int"),
            Column("resolved_in_time", _("Resolutions within target"), "int"),
            Column("resolution_share", _("Share within target (resolution)"), "rate"),
            Column("resolution_median", _("Median resolution (support minutes)"), "int"),
            Column("resolution_p90", _("90th percentile resolution (support minutes)"), "int"),
            Column("resolutions_breached", _("Resolutions breached"), "int"),
        ],
        chart=Chart(
            "plan",
            [
                Column("response_share", _("First response"), "rate"),
                Column("resolution_share", _("Resolution"), "rate"),
            ],
            stacked=False,
        ),
    )
    for r in per_plan:
        medians = used.get(r["charged_contract__plan_id"], (None, None, None, None))
        report.rows.append(
            {
                "plan": r["charged_contract__plan__code"] or _("no contract"),
                "tickets": r["tickets"],
                "responded_in_time": r["responded_in_time"],
                "response_share": _share(r["responded_in_time"], r["response_targets"]),
                "response_median": medians[0],
                "response_p90": medians[1],
                "responses_breached": r["responses_breached"],
                "resolved_in_time": r["resolved_in_time"],
                "resolution_share": _share(r["resolved_in_time"], r["resolution_targets"]),
                "resolution_median": medians[2],
                "resolution_p90": medians[3],
                "resolutions_breached": r["resolutions_breached"],
            }
        )
    breaches = (
        tickets.filter(response_breach | resolution_breach)
        .values(
            "id",
            "partner__name",
            "charged_contract__plan__code",
            "first_response_due_at",
            "first_response_at",
            "resolution_due_at",
            "resolved_at",
            "end_customer__name",
            "end_customer__name_revealed",
            "end_customer__number",
            "end_customer__partner__number",
        )
        .order_by("escalated_at", "id")[:BREACHES_LISTED]
    )
    table = Table(
        _("Breaches"),
        [
            Column("ticket", _("Ticket"), "int"),
            Column("partner", _("Partner"), "text"),
            Column("end_customer", _("End customer"), "text"),
            Column("plan", _("Plan"), "text"),
            Column("first_response_due_at", _("First response due"), "datetime"),
            Column("first_response_at", _("First response"), "datetime"),
            Column("resolution_due_at", _("Resolution due"), "datetime"),
            Column("resolved_at", _("Resolved"), "datetime"),
        ],
    )
    for b in breaches:
        table.rows.append(
            {
                "ticket": b["id"],
                "partner": b["partner__name"],
                "end_customer": _customer_label(user, b),
                "plan": b["charged_contract__plan__code"] or "",
                "first_response_due_at": b["first_response_due_at"],
                "first_response_at": b["first_response_at"],
                "resolution_due_at": b["resolution_due_at"],
                "resolved_at": b["resolved_at"],
            }
        )
    report.details.append(table)
    return report


Percentiles = tuple[int | None, int | None, int | None, int | None]  # response median, p90; resolution


def _support_minutes_used(tickets: QuerySet[Ticket], f: Filters) -> dict[int | None, Percentiles]:
    """Per plan: median and 90th percentile of the support minutes used to the first response and to
    the resolution, in SQL on PostgreSQL (a day table of the support calendar joined by local date),
    else with the support calendar per ticket. Both count like tickets.clocks.support_minutes_left."""
    days = _support_days(f) if connection.vendor == "postgresql" else None
    if days is None:
        return _support_minutes_used_in_python(tickets)
    low, high = f.bounds()
    where, where_params = ["tk.escalated_at >= %s", "tk.escalated_at < %s"], [low, high]
    if f.partner_id:
        where.append("tk.partner_id = %s")
        where_params.append(f.partner_id)
    if f.plan_id:
        where.append("c.plan_id = %s")
        where_params.append(f.plan_id)
    conditions = " AND ".join(where)

    # Instants as seconds since the epoch; a UTC day number joins each to the calendar's day table (no
    # time-zone arithmetic per row: the table holds the opening intervals in UTC).
    def support_seconds(column: str) -> str:
        d = f"{column}_d"
        offset = f"(k.{column} - {d}.day::bigint * 86400)"
        return (
            f"({d}.base + LEAST(GREATEST({offset} - {d}.s1, 0), {d}.e1 - {d}.s1)"
            f" + LEAST(GREATEST({offset} - {d}.s2, 0), {d}.e2 - {d}.s2))"
        )

    columns = ("rdue", "rat", "sdue", "sat")
    joins = "".join(f" LEFT JOIN days {c}_d ON {c}_d.day = k.{c}_day" for c in columns)
    sql = f"""
        WITH days(day, base, s1, e1, s2, e2) AS (
            SELECT * FROM unnest(%s::int[], %s::bigint[], %s::int[], %s::int[], %s::int[], %s::int[])
        ), t AS (
            SELECT c.plan_id, c.first_response_minutes AS rtarget, c.resolution_minutes AS starget,
                   date_part('epoch', tk.first_response_due_at) AS rdue,
                   date_part('epoch', tk.first_response_at) AS rat,
                   date_part('epoch', tk.resolution_due_at) AS sdue, date_part('epoch', tk.resolved_at) AS sat
            FROM tickets_ticket tk JOIN contracts_contract c ON c.id = tk.charged_contract_id
            WHERE {conditions}
              AND ((tk.first_response_at IS NOT NULL AND tk.first_response_due_at IS NOT NULL)
                   OR (tk.resolved_at IS NOT NULL AND tk.resolution_due_at IS NOT NULL))
        ), k AS (
            SELECT t.*, FLOOR(rdue / 86400)::int AS rdue_day, FLOOR(rat / 86400)::int AS rat_day,
                   FLOOR(sdue / 86400)::int AS sdue_day, FLOOR(sat / 86400)::int AS sat_day
            FROM t
        ), u AS (
            SELECT k.plan_id,
                   k.rtarget - FLOOR(({support_seconds("rdue")} - {support_seconds("rat")}) / 60) AS response,
                   k.starget - FLOOR(({support_seconds("sdue")} - {support_seconds("sat")}) / 60) AS resolution
            FROM k{joins}
        )
        SELECT plan_id, 0, response, count(*) FROM u WHERE response IS NOT NULL GROUP BY plan_id, response
        UNION ALL
        SELECT plan_id, 1, resolution, count(*) FROM u WHERE resolution IS NOT NULL GROUP BY plan_id, resolution
    """  # noqa: S608
    # A histogram per plan and clock (support minutes -> tickets): hashed in SQL, no sort of the rows; the
    # nearest-rank percentiles are then read off the few distinct values.
    histograms: dict[tuple[int | None, int], dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*days, *where_params])
        for plan_id, clock, minutes, count in cursor.fetchall():
            histograms.setdefault((plan_id, clock), {})[int(minutes)] = count
    plans = {plan_id for plan_id, _clock in histograms}
    return {
        plan: (
            _histogram_percentile(histograms.get((plan, 0), {}), 0.5),
            _histogram_percentile(histograms.get((plan, 0), {}), 0.9),
            _histogram_percentile(histograms.get((plan, 1), {}), 0.5),
            _histogram_percentile(histograms.get((plan, 1), {}), 0.9),
        )
        for plan in plans
    }


def _histogram_percentile(counts: dict[int, int], share: float) -> int | None:
    """`_percentile` over values given as value -> how often."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, -(-int(share * 1000) * total // 1000))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    return None


SPAN_AFTER_DAYS = 180  # due times lie at most this far after the period's end or today


def _support_days(f: Filters) -> tuple[list[Any], ...] | None:
    """The support calendar as a table of UTC days (days since the epoch): per day the support seconds
    before it (base) and at most two opening intervals in seconds after UTC midnight; None when a day
    would need more."""
    calendar = clocks.vendor_calendar()
    zone = calendar.zone
    first = f.start - timedelta(days=2)
    last = max(f.end, timezone.localdate()) + timedelta(days=SPAN_AFTER_DAYS)
    opening: dict[int, list[tuple[int, int]]] = {}
    day = first
    while day <= last:
        try:
            intervals = calendar.hours_on(day)
        except ValueError:  # beyond the calendar's years
            intervals = ()
        midnight = datetime.combine(day, time.min)
        for interval in intervals:
            start = int((midnight + timedelta(seconds=interval.start)).replace(tzinfo=zone).timestamp())
            end = int((midnight + timedelta(seconds=interval.end)).replace(tzinfo=zone).timestamp())
            while start < end:  # split at UTC midnights
                number = start // 86_400
                stop = min(end, (number + 1) * 86_400)
                opening.setdefault(number, []).append((start - number * 86_400, stop - number * 86_400))
                start = stop
        day += timedelta(days=1)
    columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
    first_number = int(datetime.combine(first, time.min, tzinfo=zone).timestamp()) // 86_400
    last_number = int(datetime.combine(last, time.min, tzinfo=zone).timestamp()) // 86_400
    base = 0
    for number in range(first_number, last_number + 1):
        pairs = sorted(opening.get(number, []))
        if len(pairs) > 2:
            return None
        pairs += [(0, 0)] * (2 - len(pairs))
        for column, value in zip(columns, (number, base, *pairs[0], *pairs[1]), strict=True):
            column.append(value)
        base += sum(end - start for start, end in pairs)
    return columns


def _support_minutes_used_in_python(tickets: QuerySet[Ticket]) -> dict[int | None, Percentiles]:
    used: dict[int | None, tuple[list[int], list[int]]] = {}
    measured = tickets.filter(
        Q(first_response_at__isnull=False, first_response_due_at__isnull=False)
        | Q(resolved_at__isnull=False, resolution_due_at__isnull=False)
    ).values_list(
        "charged_contract__plan_id",
        "charged_contract__first_response_minutes",
        "first_response_due_at",
        "first_response_at",
        "charged_contract__resolution_minutes",
        "resolution_due_at",
        "resolved_at",
    )
    for plan_id, response_target, response_due, responded, resolution_target, resolution_due, resolved in measured:
        responses, resolutions = used.setdefault(plan_id, ([], []))
        if response_target is not None and response_due and responded:
            responses.append(response_target - (clocks.support_minutes_left(response_due, responded) or 0))
        if resolution_target is not None and resolution_due and resolved:
            resolutions.append(resolution_target - (clocks.support_minutes_left(resolution_due, resolved) or 0))
    return {
        plan: (_percentile(a, 0.5), _percentile(a, 0.9), _percentile(b, 0.5), _percentile(b, 0.9))
        for plan, (a, b) in used.items()
    }


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


# --- tickets by category and level (R11.1, R11.2) -----------------------------------------------


def tickets_report(user: User, f: Filters) -> Report:
    """Tickets opened in the period by category and level now; the escalation rate (escalated of all),
    the third-level rate (ever at third level, of escalated) and the hand-back reasons (R5.6)."""
    low, high = f.bounds()
    tickets = Ticket.objects.filter(created_at__gte=low, created_at__lt=high)
    if f.partner_id:
        tickets = tickets.filter(partner_id=f.partner_id)
    if f.plan_id:
        tickets = tickets.filter(charged_contract__plan_id=f.plan_id)
    third = TicketTransition.objects.filter(to_level=Level.THIRD).values("ticket_id")
    figures = tickets.aggregate(
        total=Count("id"),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)),
        third=Count("id", filter=Q(level=Level.THIRD) | Q(id__in=third)),
    )
    categories = dict(Category.choices)
    levels = dict(Level.choices)
    report = Report(
        name="tickets",
        title=_("Tickets by category and level"),
        filters=f,
        columns=[
            Column("category", _("Category"), "text"),
            Column("first_level", str(levels[Level.FIRST]), "int"),
            Column("second_level", str(levels[Level.SECOND]), "int"),
            Column("third_level", str(levels[Level.THIRD]), "int"),
            Column("total", _("Total"), "int"),
        ],
        chart=Chart(
            "category",
            [
                Column("first_level", str(levels[Level.FIRST])),
                Column("second_level", str(levels[Level.SECOND])),
                Column("third_level", str(levels[Level.THIRD])),
            ],
        ),
    )
    by_category: dict[str, dict[str, Any]] = {}
    keys = {Level.FIRST: "first_level", Level.SECOND: "second_level", Level.THIRD: "third_level"}
    for r in tickets.values("category", "level").annotate(n=Count("id")).order_by("category", "level"):
        row = by_category.setdefault(
            r["category"],
            {"category": str(categories.get(r["category"], _("none"))), "first_level": 0, "second_level": 0}
            | {"third_level": 0, "total": 0},
        )
        row[keys[r["level"]]] += r["n"]
        row["total"] += r["n"]
    order = [c for c in Category.values] + [""]
    report.rows = [by_category[c] for c in order if c in by_category]
    report.totals = {
        "tickets": figures["total"],
        "escalated": figures["escalated"],
        "escalation_rate": _share(figures["escalated"], figures["total"]),
        "third_level": figures["third"],
        "third_level_rate": _share(figures["third"], figures["escalated"]),
    }
    hand_backs = TicketTransition.objects.filter(
        ticket__in=tickets.values("id"), reason__in=HandBackReason.values, from_level__gte=Level.SECOND
    )
    reasons = dict(HandBackReason.choices)
    table = Table(_("Hand-back reasons"), [Column("reason", _("Reason"), "text"), Column("count", _("Count"))])
    for r in hand_backs.values("reason").annotate(n=Count("id")).order_by("-n", "reason"):
        table.rows.append({"reason": str(reasons[r["reason"]]), "code": r["reason"], "count": r["n"]})
    report.details.append(table)
    return report


# --- the manual's deflection (R8.3): tickets/deflection.py, as a report ------------------------


def manual_report(user: User, f: Filters) -> Report:
    """The figure of GET /api/v1/reports/manual-deflection (tickets.deflection), as a report here."""
    figure = deflection.manual_deflection(user, start=f.start, end=f.end)
    partners = [p for p in figure.partners if not f.partner_id or p.partner_id == f.partner_id]
    report = Report(
        name="manual-deflection",
        title=_("Tickets solved with the manual"),
        filters=f,
        columns=[
            Column("partner", _("Partner"), "text"),
            Column("solved_at_first_level", _("Solved at first level"), "int"),
            Column("solved_with_manual", _("Solved with the manual"), "int"),
            Column("rate", _("Share"), "rate"),
        ],
        chart=Chart(
            "partner",
            [Column("solved_with_manual", _("Solved with the manual")), Column("other", _("Solved otherwise"))],
        ),
    )
    for p in partners:
        report.rows.append(
            {
                "partner_id": p.partner_id,
                "partner": p.partner,
                "solved_at_first_level": p.solved_at_first_level,
                "solved_with_manual": p.solved_with_manual,
                "other": p.solved_at_first_level - p.solved_with_manual,
                "rate": _share(p.solved_with_manual, p.solved_at_first_level),
            }
        )
    section_columns = [
        Column("number", _("Section"), "text"),
        Column("title", _("Title"), "text"),
        Column("tickets", _("Tickets"), "int"),
    ]
    for title, sections in (
        (_("Sections that solved tickets"), figure.sections),
        (_("Sections consulted before escalations anyway"), figure.consulted_before_escalation),
    ):
        report.details.append(
            Table(
                title, section_columns, [{"number": s.number, "title": s.title, "tickets": s.tickets} for s in sections]
            )
        )
    return report


# --- partners near or over their included time: the Sales view (R11.1) -------------------------


def _price_of(plan: Plan, units: int) -> int:
    """What `units` of use in one term would cost on `plan`, in cents: its fee, plus the units beyond
    its included ones at its rates (contracts.pricing)."""
    included = pricing.included_units_per_term(plan.included_minutes_per_term, plan.unit_minutes)
    extra = max(0, units - included)
    if not plan.tier_values():
        return plan.fee_cents if extra == 0 else -1
    lines = pricing.price_positions(plan.schedule, 0, extra)
    return plan.fee_cents + sum(line.quantity * line.unit_price_cents for line in lines)


def usage_report(user: User, f: Filters) -> Report:
    """Terms running in the period at 80 % of their included units or beyond, with the plan that would
    have cost least for that use (same unit length; a term's fee plus its extra at each plan's rates)."""
    _ensure_vendor(user)
    terms = ContractTerm.objects.filter(start_date__lte=f.end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=f.start)
    )
    terms = terms.filter(contract__state__in=[ContractState.ACTIVE, ContractState.CANCELLED])
    if f.partner_id:
        terms = terms.filter(contract__partner_id=f.partner_id)
    if f.plan_id:
        terms = terms.filter(contract__plan_id=f.plan_id)
    terms = (
        terms.filter(
            Q(extra_units__gt=0)
            | Q(included_units_granted__gt=0, included_units_used__gte=F("included_units_granted") * NEAR_LIMIT)
        )
        .values(
            "id",
            "contract_id",
            "contract__partner__name",
            "contract__plan_id",
            "contract__plan__code",
            "start_date",
            "end_date",
            "unit_minutes",
            "fee_cents",
            "included_units_granted",
            "included_units_used",
            "extra_units",
            "extra_amount_cents",
        )
        .order_by("contract__partner__name", "contract_id", "start_date")[:200]
    )
    plans = list(Plan.objects.filter(is_active=True, partner__isnull=True))
    report = Report(
        name="usage",
        title=_("Partners near or over their included time"),
        filters=f,
        columns=[
            Column("partner", _("Partner"), "text"),
            Column("contract_id", _("Contract"), "int"),
            Column("plan", _("Plan"), "text"),
            Column("term_start", _("Term start"), "date"),
            Column("included_units_granted", _("Included units granted"), "int"),
            Column("included_units_used", _("Included units used"), "int"),
            Column("extra_units", _("Extra units"), "int"),
            Column("cost", _("Fee and extra"), "money"),
            Column("suggested_plan", _("Better plan"), "text"),
            Column("saving", _("Saving"), "money"),
        ],
        chart=Chart(
            "label",
            [Column("included_units_used", _("Included units used")), Column("extra_units", _("Extra units"))],
        ),
    )
    for t in terms:
        units = t["included_units_used"] + t["extra_units"]
        cost = t["fee_cents"] + t["extra_amount_cents"]
        best: tuple[int, str] | None = None
        for plan in plans:
            # Per-ticket rates (S) cannot be priced from a term's total: only term-priced plans are offered.
            if (
                plan.pk == t["contract__plan_id"]
                or plan.unit_minutes != t["unit_minutes"]
                or plan.rate_scope != RateScope.CONTRACT_TERM
            ):
                continue
            price = _price_of(plan, units)
            if 0 <= price < cost and (best is None or price < best[0]):
                best = (price, plan.code)
        report.rows.append(
            {
                "label": f"{t['contract__partner__name']} #{t['contract_id']}",
                "partner": t["contract__partner__name"],
                "contract_id": t["contract_id"],
                "plan": t["contract__plan__code"],
                "term_start": t["start_date"],
                "included_units_granted": t["included_units_granted"],
                "included_units_used": t["included_units_used"],
                "extra_units": t["extra_units"],
                "cost": pricing.money(cost),
                "suggested_plan": best[1] if best else "",
                "saving": pricing.money(cost - best[0]) if best else Decimal("0.00"),
            }
        )
    return report


# --- the partner's next invoice (R10.7, R11.2) --------------------------------------------------


def next_invoice_report(user: User, f: Filters) -> Report:
    """What the partner's next invoice would say today (R10.7): the billing run's own lines, built by
    billing.selectors.partners_lines (the batched form of next_invoice_preview: three queries for any
    number of contracts), from the fees of started terms and the entries not yet invoiced."""
    if f.partner_id is None:
        raise ValidationError({"partner": _("Choose a partner.")})
    contracts = list(billing_selectors.billable_contracts_of([f.partner_id]))
    if f.plan_id:
        contracts = [c for c in contracts if c.plan_id == f.plan_id]
    built = billing_selectors.partners_lines([f.partner_id], until=timezone.localdate(), contracts=contracts)
    report = Report(
        name="next-invoice",
        title=_("The next invoice"),
        filters=f,
        columns=[
            Column("contract_id", _("Contract"), "int"),
            Column("description", _("Description"), "text"),
            Column("ticket", _("Ticket"), "int"),
            Column("quantity", _("Quantity"), "int"),
            Column("unit_price", _("Unit price"), "money"),
            Column("amount", _("Amount"), "money"),
        ],
    )
    for line in built[f.partner_id]:
        report.rows.append(
            {
                "contract_id": line.contract_id,
                "description": line.description,
                "ticket": line.ticket_id,
                "quantity": line.quantity,
                "unit_price": pricing.money(line.unit_price_cents),
                "amount": pricing.money(line.net_cents),
            }
        )
    report.totals = {"amount": sum((row["amount"] for row in report.rows), Decimal("0.00"))}
    return report


# --- the register ------------------------------------------------------------------------------


def _ensure_vendor(user: User) -> None:
    if not user.is_vendor:
        raise PermissionDenied(_("Your role does not allow this action."))


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: Any
    build: Callable[[User, Filters], Report]
    vendor_only: bool = False


REPORTS: dict[str, ReportKind] = {
    k.name: k
    for k in (
        ReportKind("time", gettext_lazy("Time per partner, contract and month"), time_report),
        ReportKind("revenue", gettext_lazy("Extra revenue and invoiced revenue per month"), revenue_report, True),
        ReportKind("service-levels", gettext_lazy("Service levels per plan"), service_level_report),
        ReportKind("tickets", gettext_lazy("Tickets by category and level"), tickets_report),
        ReportKind("manual-deflection", gettext_lazy("Tickets solved with the manual"), manual_report),
        ReportKind("usage", gettext_lazy("Partners near or over their included time"), usage_report, True),
        ReportKind("next-invoice", gettext_lazy("The next invoice"), next_invoice_report),
    )
}


def reports_for(user: User) -> list[ReportKind]:
    _ensure_active(user)
    return [k for k in REPORTS.values() if user.is_vendor or not k.vendor_only]


def build_report(user: User, name: str, params: Mapping[str, Any]) -> Report:
    """The report `name` for `user` with the filters from `params`; an unknown or forbidden one is a 404."""
    kind = REPORTS.get(name)
    if kind is None:
        raise Http404
    if kind not in reports_for(user):
        log_security_event(event=SecurityEvent.ACCESS_REFUSED, user=user, detail=f"report {name}", kind="report")
        raise Http404
    filters = filters_for(user, params)
    if connection.vendor != "postgresql":
        return kind.build(user, filters)
    with transaction.atomic(), connection.cursor() as cursor:
        # Sorts for the percentiles and month groups in memory, and no JIT compile (most of a second) for a
        # statement that runs once: for this transaction only.
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute("SET LOCAL jit = off")
        # The day table of the service levels is small and its days unique, which the planner cannot know
        # of a function's rows: hash joins, not sorted merges of every ticket, four times.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        return kind.build(user, filters)
