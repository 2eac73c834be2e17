"""The manual's deflection figure (R8.3): of the tickets solved at first level in a period, how many
were solved with the manual, per partner and per section; and which sections L1 consulted on tickets it
escalated anyway (the sections to improve).

"Solved at first level": resolved (or since closed) within the period and never escalated. The vendor
sees every partner's counts (counts only, no ticket: first-level tickets stay the partner's, R1.2); a
partner user sees its own partner's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.models import User

from .choices import ManualLinkKind, TicketState
from .models import Ticket, TicketManualSection


@dataclass(frozen=True)
class PartnerFigure:
    partner_id: int
    partner: str
    solved_at_first_level: int
    solved_with_manual: int

    @property
    def rate(self) -> float | None:
        return round(self.solved_with_manual / self.solved_at_first_level, 4) if self.solved_at_first_level else None


@dataclass(frozen=True)
class SectionFigure:
    section_id: int
    number: str
    title: str
    language: str
    tickets: int


@dataclass
class Deflection:
    start: date
    end: date  # inclusive
    solved_at_first_level: int = 0
    solved_with_manual: int = 0
    partners: list[PartnerFigure] = field(default_factory=list)
    sections: list[SectionFigure] = field(default_factory=list)  # that solved tickets
    consulted_before_escalation: list[SectionFigure] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return round(self.solved_with_manual / self.solved_at_first_level, 4) if self.solved_at_first_level else None


def _tickets_for(user: User) -> QuerySet[Ticket]:
    if not user.is_active:
        raise PermissionDenied(_("Your role does not allow this action."))
    if user.is_partner:
        return Ticket.objects.filter(partner_id=user.partner_id)
    return Ticket.objects.all()


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _sections(links: QuerySet[TicketManualSection], limit: int) -> list[SectionFigure]:
    rows = (
        links.values("section_id", "section__number", "section__title", "section__language")
        .annotate(tickets=Count("ticket_id", distinct=True))
        .order_by("-tickets", "section__sort_key", "section__language", "section_id")[:limit]
    )
    return [
        SectionFigure(r["section_id"], r["section__number"], r["section__title"], r["section__language"], r["tickets"])
        for r in rows
    ]


def manual_deflection(user: User, *, start: date, end: date, limit: int = 20) -> Deflection:
    tickets = _tickets_for(user)
    low, high = _bounds(start, end)
    solved = tickets.filter(
        state__in=[TicketState.RESOLVED, TicketState.CLOSED],
        escalated_at__isnull=True,
        resolved_at__gte=low,
        resolved_at__lt=high,
    )
    result = Deflection(start=start, end=end)
    per_partner = (
        solved.values("partner_id", "partner__name")
        .annotate(total=Count("id"), manual=Count("id", filter=Q(solved_with_manual=True)))
        .order_by("partner__name", "partner_id")
    )
    for row in per_partner:
        result.partners.append(PartnerFigure(row["partner_id"], row["partner__name"], row["total"], row["manual"]))
    result.solved_at_first_level = sum(p.solved_at_first_level for p in result.partners)
    result.solved_with_manual = sum(p.solved_with_manual for p in result.partners)
    result.sections = _sections(
        TicketManualSection.objects.filter(
            kind=ManualLinkKind.SOLVED, ticket__in=solved.filter(solved_with_manual=True)
        ),
        limit,
    )
    escalated = tickets.filter(escalated_at__gte=low, escalated_at__lt=high)
    result.consulted_before_escalation = _sections(
        TicketManualSection.objects.filter(kind=ManualLinkKind.CONSULTED, ticket__in=escalated), limit
    )
    return result
