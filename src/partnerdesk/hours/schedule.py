"""Wall-clock opening intervals: parsing, validation and display.

Settings arrive as plain strings ("09:00", "24:00") or ``datetime.time`` values; this
module turns them into :class:`DailyInterval` values once, at construction, so the
engine never parses anything on the hot path and every bad setting is reported with
the name of the field that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time

__all__ = [
    "DAY_SECONDS",
    "WEEKDAY_NAMES",
    "DailyInterval",
    "IntervalSpec",
    "TimeSpec",
    "describe_week",
    "parse_intervals",
    "parse_weekly",
]

DAY_SECONDS = 86_400
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

TimeSpec = str | time
"""A wall-clock time: ``"HH:MM"``, ``"HH:MM:SS"`` or a naive ``datetime.time``."""

IntervalSpec = tuple[TimeSpec, TimeSpec]
"""``(start, end)``; an end at or before the start means the interval runs past midnight."""

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True, order=True, slots=True)
class DailyInterval:
    """An opening interval of one day, in wall-clock seconds after that day's local midnight.

    ``end`` may exceed one day: the interval then runs past midnight into the next day
    (a night shift such as 22:00-02:00). It belongs to the day it *starts* on, so a
    holiday on that day removes all of it, and a holiday on the next day removes none
    of it.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < DAY_SECONDS:
            raise ValueError(f"start must be within the day, got {self.start} s")
        if not self.start < self.end <= self.start + DAY_SECONDS:
            raise ValueError(f"end must be after start and at most one day later, got {self.end} s")

    @property
    def crosses_midnight(self) -> bool:
        """True when the interval ends on the following day (an end of exactly 24:00 does not count)."""
        return self.end > DAY_SECONDS

    @property
    def start_time(self) -> time:
        return _seconds_to_time(self.start)

    @property
    def end_time(self) -> time:
        """The wall-clock end; 24:00 and ends past midnight come back modulo one day."""
        return _seconds_to_time(self.end % DAY_SECONDS)

    def __str__(self) -> str:
        end = _format_seconds(self.end if self.end <= DAY_SECONDS else self.end - DAY_SECONDS)
        suffix = " (next day)" if self.crosses_midnight else ""
        return f"{_format_seconds(self.start)}-{end}{suffix}"


def _seconds_to_time(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _format_seconds(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _parse_time(value: object, field: str, *, allow_24: bool) -> int:
    """Seconds after midnight; ``"24:00"`` (end of day) only where ``allow_24``."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"{field}: {value!r} carries a tzinfo; the calendar's timezone applies")
        if value.microsecond:
            raise ValueError(f"{field}: {value!r} has microseconds; use whole seconds")
        return value.hour * 3600 + value.minute * 60 + value.second
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected 'HH:MM' or a datetime.time, got {value!r}")
    match = _TIME_RE.match(value.strip())
    if match is None:
        raise ValueError(f"{field}: {value!r} is not a time 'HH:MM' or 'HH:MM:SS'")
    hours, minutes, seconds = int(match[1]), int(match[2]), int(match[3] or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"{field}: {value!r} is not a valid time of day")
    if hours == 24 and not allow_24:
        raise ValueError(f"{field}: {value!r} is only allowed as an end time")
    return hours * 3600 + minutes * 60 + seconds


def _parse_interval(spec: object, field: str) -> DailyInterval:
    if isinstance(spec, DailyInterval):
        return spec
    if isinstance(spec, str | bytes) or not isinstance(spec, Sequence) or len(spec) != 2:
        raise ValueError(f"{field}: expected a (start, end) pair such as ('09:00', '17:00'), got {spec!r}")
    start = _parse_time(spec[0], f"{field}.start", allow_24=False)
    end = _parse_time(spec[1], f"{field}.end", allow_24=True)
    if end == start:
        raise ValueError(
            f"{field}: start and end are both {_format_seconds(start)}; "
            "an empty interval is meaningless (use ('00:00', '24:00') for a whole day)"
        )
    if end < start:
        end += DAY_SECONDS  # runs past midnight into the next day
    return DailyInterval(start, end)


def parse_intervals(specs: object, field: str) -> tuple[DailyInterval, ...]:
    """Validate one day's intervals; overlapping or touching intervals are allowed and act as their union."""
    if isinstance(specs, str | bytes) or not isinstance(specs, Sequence):
        raise ValueError(f"{field}: expected a list of (start, end) pairs, got {specs!r}")
    return tuple(sorted(_parse_interval(spec, f"{field}[{i}]") for i, spec in enumerate(specs)))


def parse_weekly(weekly: object) -> tuple[tuple[DailyInterval, ...], ...]:
    """Seven tuples of intervals indexed by ``date.weekday()``; a missing weekday is closed."""
    if not isinstance(weekly, Mapping):
        raise ValueError(f"weekly: expected a mapping weekday (0=Monday .. 6=Sunday) -> intervals, got {weekly!r}")
    days: list[tuple[DailyInterval, ...]] = [() for _ in range(7)]
    for key, specs in weekly.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 6:
            raise ValueError(f"weekly: key {key!r} is not a weekday 0 (Monday) .. 6 (Sunday)")
        days[key] = parse_intervals(specs, f"weekly[{key}]")
    return tuple(days)


def describe_week(weekly: Sequence[Sequence[DailyInterval]]) -> list[str]:
    """Human-readable lines, consecutive weekdays with equal hours grouped: ``["Mon-Thu 09:00-17:00", ...]``."""
    lines: list[str] = []
    day = 0
    while day < 7:
        last = day
        while last + 1 < 7 and tuple(weekly[last + 1]) == tuple(weekly[day]):
            last += 1
        label = WEEKDAY_NAMES[day] if last == day else f"{WEEKDAY_NAMES[day]}-{WEEKDAY_NAMES[last]}"
        hours = ", ".join(str(interval) for interval in weekly[day]) or "closed"
        lines.append(f"{label} {hours}")
        day = last + 1
    return lines
