"""Pure billing periods (R10.1): a period is a calendar month, written ``YYYY-MM``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # last day, inclusive

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"


def parse_period(value: object) -> Period | None:
    """``2026-11`` as its first and last day; None when it is not a month between 2000 and 2999."""
    match = _PATTERN.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def period_of(day: date) -> Period:
    return Period(day.replace(day=1), date(day.year, day.month, calendar.monthrange(day.year, day.month)[1]))
