"""The role panels of the dashboard (R11.3, issue 16 item 3): what each role acts on.

Every panel is a short list read by an indexed filter with a limit (PANEL_ROWS), or one small
aggregate over one partner's current terms: no figure over all tickets per view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from partnerdesk.accounts.choices import SUPPORT_ROLES, Role
from partnerdesk.accounts.models import User
from partnerdesk.billing.choices import InvoiceState, InvoiceType
from partnerdesk.billing.models import BillingRun, Invoice
from partnerdesk.channels.choices import AppointmentState
from partnerdesk.channels.models import Appointment
from partnerdesk.contracts.choices import ContractState
from partnerdesk.contracts.models import ContractTerm
from partnerdesk.tickets.choices import VENDOR_STATES, TicketState
from partnerdesk.tickets.models import Ticket

from . import selectors

PANEL_ROWS = 10
AT_RISK_HOURS = 4  # due within this many hours (wall clock) counts as at risk


@dataclass
class Panels:
    role: str
    lists: dict[str, list[Any]] = field(default_factory=dict)
    usage: list[dict[str, Any]] = field(default_factory=list)  # per current term: used, left, extra
    outliers: selectors.Report | None = None
    last_run: BillingRun | None = None
    last_preview: BillingRun | None = None


def _current_terms(partner_id: int) -> list[dict[str, Any]]:
    today = timezone.localdate()
    terms = (
        ContractTerm.objects.filter(
            contract__partner_id=partner_id,
            contract__state__in=[ContractState.ACTIVE, ContractState.CANCELLED],
            start_date__lte=today,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values(
            "contract_id",
            "contract__plan__code",
            "start_date",
            "end_date",
            "included_units_granted",
            "included_units_used",
            "extra_units",
        )
        .order_by("contract_id")[:PANEL_ROWS]
    )
    return [
        {
            "label": f"#{t['contract_id']} {t['contract__plan__code']}",
            "contract_id": t["contract_id"],
            "plan": t["contract__plan__code"],
            "start_date": t["start_date"],
            "end_date": t["end_date"],
            "granted": t["included_units_granted"],
            "used": t["included_units_used"],
            "left": max(t["included_units_granted"] - t["included_units_used"], 0),
            "extra": t["extra_units"],
        }
        for t in terms
    ]


def _tickets() -> Any:
    return Ticket.objects.select_related("partner").only("id", "subject", "state", "due_at", "partner__name")


def panels_for(user: User) -> Panels:
    """The lists and figures the dashboard shows for the user's role."""
    panels = Panels(role=user.role)
    now = timezone.now()
    if user.is_partner and user.partner_id is not None:
        own = _tickets().filter(partner_id=user.partner_id)
        panels.usage = _current_terms(user.partner_id)
        if user.role == Role.L1_AGENT:
            panels.lists["waiting_for_me"] = list(
                own.filter(state=TicketState.WAITING_FOR_PARTNER).order_by("updated_at", "pk")[:PANEL_ROWS]
            )
            panels.lists["with_vendor"] = list(
                own.filter(state__in=VENDOR_STATES).order_by("-updated_at", "-pk")[:PANEL_ROWS]
            )
        if user.role == Role.PARTNER_ADMIN:
            panels.lists["open_invoices"] = list(
                Invoice.objects.filter(
                    partner_id=user.partner_id, state=InvoiceState.ISSUED, type_code=InvoiceType.INVOICE
                ).order_by("-issued_at", "-pk")[:PANEL_ROWS]
            )
    elif user.role in SUPPORT_ROLES:
        working = _tickets().filter(state__in=VENDOR_STATES)
        soon = now + timedelta(hours=AT_RISK_HOURS)
        panels.lists["breached"] = list(working.filter(due_at__lt=now).order_by("due_at", "pk")[:PANEL_ROWS])
        panels.lists["at_risk"] = list(
            working.filter(due_at__gte=now, due_at__lt=soon).order_by("due_at", "pk")[:PANEL_ROWS]
        )
        panels.lists["following"] = list(working.filter(followers__user=user).order_by("due_at", "pk")[:PANEL_ROWS])
        zone = timezone.get_current_timezone()
        today = timezone.localdate()
        panels.lists["appointments"] = list(
            Appointment.objects.filter(
                agent=user,
                state=AppointmentState.SCHEDULED,
                starts_at__gte=datetime.combine(today, time.min, tzinfo=zone),
                starts_at__lt=datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone),
            )
            .select_related("ticket")
            .order_by("starts_at", "pk")[:PANEL_ROWS]
        )
    elif user.role == Role.SALES:
        today = timezone.localdate()
        report = selectors.usage_report(user, selectors.Filters(start=today, end=today))
        report.rows = report.rows[:PANEL_ROWS]
        panels.outliers = report
    elif user.role == Role.BILLING:
        runs = BillingRun.objects.only(
            "id", "period", "state", "dry_run", "invoices_issued", "finished_at", "created_at", "preview"
        )
        panels.last_run = runs.filter(dry_run=False).order_by("-created_at", "-pk").first()
        panels.last_preview = runs.filter(dry_run=True).order_by("-created_at", "-pk").first()
    return panels
