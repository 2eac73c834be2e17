"""Tickets API: support hours (R6.5) ..."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from .clocks import vendor_calendar

router = Router(tags=["tickets"])


class ClosureOut(Schema):
    date: str
    name: str
    kind: str
    hours: list[str]


class SupportHoursOut(Schema):
    timezone: str
    schedule: list[str] = Field(..., description='e.g. ["Mon-Thu 09:00-17:00", "Fri 09:00-12:00"]')
    open_now: bool
    next_open: datetime = Field(..., description="Now when open, else the next opening")
    next_closures: list[ClosureOut] = Field(..., description="Upcoming holidays and closed or special days")


@router.get("/support-hours", response=SupportHoursOut, summary="The vendor's support hours (R6.5)")
def get_support_hours(request: HttpRequest) -> SupportHoursOut:
    calendar = vendor_calendar()
    now = timezone.now()
    local_today = now.astimezone(calendar.zone).date()
    closures = [c for c in calendar.next_closures(local_today, 12) if c.affects_support][:6]
    return SupportHoursOut(
        timezone=calendar.zone.key,
        schedule=calendar.describe_week(),
        open_now=calendar.is_open(now),
        next_open=calendar.next_open(now),
        next_closures=[
            ClosureOut(
                date=c.day.isoformat(),
                name=c.name,
                kind=c.kind,
                hours=[f"{h}" for h in c.hours],
            )
            for c in closures
        ],
    )
