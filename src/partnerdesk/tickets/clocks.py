"""Service-level clocks (R6.3) on the vendor's support calendar (R6.1), configured by settings.

The due times are stored as real instants. The clocks run only within support hours (the calendar's
`add`), and stop while a ticket waits for the partner: on resuming, each running due time moves on by
the support time that passed during the pause.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from partnerdesk.hours import VENDOR_WEEKLY, SupportCalendar


@lru_cache(maxsize=1)
def vendor_calendar() -> SupportCalendar:
    """The vendor's support calendar, built once per process from the SUPPORT_HOURS_* settings."""
    weekly = settings.SUPPORT_HOURS_WEEKLY
    return SupportCalendar(
        {int(day): [tuple(i) for i in intervals] for day, intervals in weekly.items()} if weekly else VENDOR_WEEKLY,
        timezone=settings.SUPPORT_HOURS_TIMEZONE,
        country=settings.SUPPORT_HOURS_COUNTRY or None,
        subdivision=settings.SUPPORT_HOURS_SUBDIVISION,
        categories=tuple(settings.SUPPORT_HOURS_CATEGORIES),
        closed_days=[date.fromisoformat(d) for d in settings.SUPPORT_HOURS_CLOSED_DAYS],
        special_days={
            date.fromisoformat(d): [tuple(i) for i in intervals]
            for d, intervals in settings.SUPPORT_HOURS_SPECIAL_DAYS.items()
        },
    )


@receiver(setting_changed)
def _forget_calendar(setting: str, **kwargs: Any) -> None:
    if setting.startswith("SUPPORT_HOURS_"):
        vendor_calendar.cache_clear()


def due_after(start: datetime, support_minutes: int | None) -> datetime | None:
    """The instant `support_minutes` of support time after `start`, or None without a target."""
    if support_minutes is None:
        return None
    return vendor_calendar().add(start, timedelta(minutes=support_minutes))


def shifted_by_pause(due: datetime | None, paused_at: datetime, resumed_at: datetime) -> datetime | None:
    """A running due time moved on by the support time that passed while the clock was stopped."""
    if due is None:
        return None
    paused = vendor_calendar().between(paused_at, resumed_at)
    return vendor_calendar().add(due, paused) if paused > timedelta(0) else due


def support_minutes_left(due: datetime | None, now: datetime) -> int | None:
    """Support minutes until `due` (negative once breached)."""
    if due is None:
        return None
    return int(vendor_calendar().between(now, due).total_seconds() // 60)
