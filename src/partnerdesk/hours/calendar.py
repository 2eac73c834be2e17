"""The business-time engine behind :class:`SupportCalendar` (SPEC R6.1, R6.2, R6.5).

Design
------
Opening hours are wall-clock rules (weekday intervals, holidays, special days), but
support time is real elapsed time, so every question is answered on a timeline of
instants. The timeline is cut into *year buckets*: bucket ``Y`` covers the instants from
local midnight of 1 January ``Y`` up to local midnight of 1 January ``Y+1``. A bucket is
built lazily, once per calendar instance, by resolving each day's intervals to integer
microseconds since the Unix epoch (UTC), clipping them to the bucket, merging overlapping
or touching ones and storing three parallel sorted lists: ``starts``, ``ends`` and the
cumulative open time before each interval (``cum``/``cum_end``). After that:

* ``is_open``/``next_open`` are one bisect on ``starts``;
* the open time before an instant inside its bucket is a bisect plus arithmetic;
* ``between`` is the difference of two such prefix sums, plus the totals of the whole
  years in between;
* ``add`` subtracts whole-year totals until the remainder falls inside a bucket, then
  bisects ``cum_end`` for it.

So a query costs O(log n) within a year plus O(1) per whole year spanned; nothing ever
walks days or minutes once a bucket exists. Building a bucket costs about a millisecond
(roughly 500 zone conversions plus the ``holidays`` lookup for the year).

Wall clock to instant
---------------------
A wall-clock boundary ``W`` on a given date means *the first instant at which the local
clock shows ``W`` or later*. In zoneinfo terms: an ordinary time is converted directly;
an ambiguous time (the repeated hour when clocks go back) resolves with ``fold=0``, its
first occurrence; a nonexistent time (skipped when clocks go forward) resolves to the
transition instant itself (e.g. 02:30 on the Berlin spring-forward day means 03:00 CEST).
This mapping is monotonic, so an interval can shrink to nothing but never turns inside
out. Consequences in Europe/Berlin: 01:00-04:00 on the spring-forward day holds 2 real
hours, on the fall-back day 4 real hours (3 wall-clock hours plus the repeated one).

Holidays and special days
-------------------------
An interval belongs to the day it starts on. Precedence for a date: ``closed_days``
(closed), then ``special_days`` (its own replacement intervals, even on a public holiday),
then public holidays from the ``holidays`` package (closed), then the weekly schedule.
Holiday names come in ``en_US`` unless ``language`` says otherwise, never in whatever
language the server's locale would make the ``holidays`` package pick.

Range
-----
The calendar answers for instants in its ``years`` range (default 1990-2100, the span the
project needs) and raises :class:`OutOfRangeError` (a ``ValueError``) outside it, rather
than guessing holidays it does not know. Note that the ``holidays`` package only knows
German holidays from 1991 (reunification) on, so 1990 has the weekly schedule and any
``closed_days`` only.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from partnerdesk.hours.schedule import (
    DailyInterval,
    IntervalSpec,
    describe_week,
    parse_intervals,
    parse_weekly,
)

__all__ = ["VENDOR_WEEKLY", "Closure", "OutOfRangeError", "SupportCalendar"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)
_ONE_DAY: Final = timedelta(days=1)
_US_PER_S: Final = 1_000_000
_MIN_YEAR: Final = 1900
_MAX_YEAR: Final = 9000
_FLOAT_EXACT_S: Final = 2**32

VENDOR_WEEKLY: Final[Mapping[int, Sequence[IntervalSpec]]] = {
    0: [("09:00", "17:00")],
    1: [("09:00", "17:00")],
    2: [("09:00", "17:00")],
    3: [("09:00", "17:00")],
    4: [("09:00", "12:00")],
}
"""SPEC R6.1: Monday-Thursday 09:00-17:00, Friday 09:00-12:00."""


class OutOfRangeError(ValueError):
    """The question needs a year outside the calendar's ``years`` range."""


@dataclass(frozen=True, slots=True)
class Closure:
    """A date whose hours differ from (or would differ from) the weekly schedule.

    ``affects_support`` tells whether the date actually changes support hours: a public
    holiday on a Sunday is listed (it is still a holiday) but affects nothing.
    """

    day: date
    name: str
    kind: Literal["holiday", "closed", "special"]
    hours: tuple[DailyInterval, ...]
    affects_support: bool


class _Year:
    """One year bucket: merged open intervals as epoch microseconds plus prefix sums."""

    __slots__ = ("starts", "ends", "cum", "cum_end", "total")

    def __init__(self, intervals: list[tuple[int, int]]) -> None:
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(intervals):
            if ends and start <= ends[-1]:  # touching or overlapping: one continuous interval
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        cum: list[int] = []
        cum_end: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            cum.append(total)
            total += end - start
            cum_end.append(total)
        self.starts = starts
        self.ends = ends
        self.cum = cum
        self.cum_end = cum_end
        self.total = total


def _validate_date(value: object, field: str) -> date:
    # datetime is a subclass of date; a datetime here is almost certainly a mistake.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{field}: expected a datetime.date, got {value!r}")
    return value


class SupportCalendar:
    """Support hours as a timeline: open/closed, next opening, adding and measuring support time.

    All arguments are timezone-aware datetimes in any zone (naive ones raise ``ValueError``);
    all results are in the calendar's zone, exact to the microsecond. Instances are immutable
    after construction apart from their internal cache, and safe to share between threads.

    A result inside a repeated hour carries ``fold=1`` when it is the second occurrence.
    Python compares and subtracts two datetimes of the *same* zone as wall clocks, and
    makes ``==`` across zones false inside a repeated hour (PEP 495); compare instants
    (``.timestamp()``, or after ``.astimezone(UTC)``) when that matters.
    """

    def __init__(
        self,
        weekly: Mapping[int, Sequence[IntervalSpec]],
        *,
        timezone: str | ZoneInfo = "Europe/Berlin",
        country: str | None = "DE",
        subdivision: str | None = None,
        categories: Sequence[str] = ("public",),
        closed_days: Mapping[date, str] | Iterable[date] = (),
        special_days: Mapping[date, Sequence[IntervalSpec]] | None = None,
        years: tuple[int, int] = (1990, 2100),
        language: str | None = None,
    ) -> None:
        """Validate every setting up front; a bad one raises ``ValueError`` naming its field.

        :param weekly: weekday (0 = Monday .. 6 = Sunday) -> ``[("09:00", "17:00"), ...]``;
            an end at or before the start runs past midnight, ``"24:00"`` ends at midnight.
        :param timezone: IANA zone name or ``ZoneInfo`` the wall-clock hours are read in.
        :param country: ``holidays`` country code, or ``None`` for no public holidays.
        :param subdivision: ``holidays`` subdivision (German state such as ``"BY"``), or ``None``
            for nationwide holidays only.
        :param categories: ``holidays`` categories, e.g. ``("public", "catholic")``.
        :param closed_days: extra dates closed all day, optionally mapped to a display name.
        :param special_days: dates with their own replacement intervals (24 Dec 09:00-12:00);
            they win over public holidays, so they can also open a holiday.
        :param years: first and last calendar year the calendar answers for.
        :param language: language of holiday names (``"de"``, ``"en_US"``, ...). ``None`` means
            ``en_US`` where the country has it, else the country's own language. Never taken
            from the environment: the ``holidays`` package would otherwise follow ``LANG``.
        """
        self._weekly = parse_weekly(weekly)
        self._zone = self._validate_zone(timezone)
        self._years = self._validate_years(years)
        self._country, self._subdivision, self._categories, self._language = self._validate_holidays(
            country, subdivision, categories, language
        )
        self._closed = self._validate_closed(closed_days)
        self._special = self._validate_special(special_days)

        first, last = self._years
        self._first_year = first
        self._nyears = last - first + 1
        # Bucket i covers [bounds[i], bounds[i + 1]): local midnight of 1 January each year.
        self._bounds = [self._wall_to_us(date(year, 1, 1), 0) for year in range(first, last + 2)]
        self._buckets: list[_Year | None] = [None] * self._nyears
        self._holiday_cache: dict[int, dict[date, str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def vendor_default(
        cls,
        subdivision: str | None = None,
        *,
        categories: Sequence[str] = ("public",),
        closed_days: Mapping[date, str] | Iterable[date] = (),
        special_days: Mapping[date, Sequence[IntervalSpec]] | None = None,
        years: tuple[int, int] = (1990, 2100),
        language: str | None = None,
    ) -> SupportCalendar:
        """SPEC R6.1: Mon-Thu 09:00-17:00, Fri 09:00-12:00, Europe/Berlin, German public holidays.

        Nationwide holidays only unless a state is given; a state's extra categories (Bavaria's
        Assumption Day is ``catholic``) apply only when listed in ``categories``.
        """
        return cls(
            VENDOR_WEEKLY,
            timezone="Europe/Berlin",
            country="DE",
            subdivision=subdivision,
            categories=categories,
            closed_days=closed_days,
            special_days=special_days,
            years=years,
            language=language,
        )

    # ------------------------------------------------------------------ validation

    @staticmethod
    def _validate_zone(timezone: object) -> ZoneInfo:
        if isinstance(timezone, ZoneInfo):
            return timezone
        if not isinstance(timezone, str) or not timezone:
            raise ValueError(f"timezone: expected an IANA zone name or ZoneInfo, got {timezone!r}")
        try:
            return ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {timezone!r}") from exc

    @staticmethod
    def _validate_years(years: object) -> tuple[int, int]:
        if (
            not isinstance(years, tuple)
            or len(years) != 2
            or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
        ):
            raise ValueError(f"years: expected (first_year, last_year), got {years!r}")
        first, last = years
        if not _MIN_YEAR <= first <= last <= _MAX_YEAR:
            raise ValueError(f"years: need {_MIN_YEAR} <= first <= last <= {_MAX_YEAR}, got {years!r}")
        return first, last

    @staticmethod
    def _validate_holidays(
        country: object, subdivision: object, categories: object, language: object
    ) -> tuple[str | None, str | None, tuple[str, ...], str | None]:
        if isinstance(categories, str) or not isinstance(categories, Sequence) or not categories:
            raise ValueError(f"categories: expected a non-empty sequence such as ('public',), got {categories!r}")
        cats = tuple(categories)
        if not all(isinstance(c, str) for c in cats):
            raise ValueError(f"categories: every category must be a string, got {categories!r}")
        if language is not None and not isinstance(language, str):
            raise ValueError(f"language: expected a language code such as 'de' or 'en_US', got {language!r}")
        if country is None:
            if subdivision is not None:
                raise ValueError("subdivision: a subdivision needs a country")
            return None, None, cats, None
        supported = holidays.list_supported_countries()
        if not isinstance(country, str) or country not in supported:
            raise ValueError(f"country: {country!r} is not a country the holidays package supports")
        if subdivision is not None and (not isinstance(subdivision, str) or subdivision not in supported[country]):
            raise ValueError(
                f"subdivision: {subdivision!r} is not a subdivision of {country}; "
                f"known: {', '.join(supported[country])}"
            )
        try:
            probe = holidays.country_holidays(country, subdiv=subdivision, categories=cats, years=())
        except (ValueError, NotImplementedError) as exc:
            raise ValueError(f"categories: {cats!r} rejected for {country}: {exc}") from exc
        languages = tuple(probe.supported_languages)
        if language is None:
            language = "en_US" if "en_US" in languages else probe.default_language
        elif language not in languages:
            raise ValueError(f"language: {language!r} is not available for {country}; known: {', '.join(languages)}")
        return country, subdivision, cats, language

    @staticmethod
    def _validate_closed(closed_days: object) -> dict[date, str]:
        if isinstance(closed_days, Mapping):
            closed: dict[date, str] = {}
            for key, name in closed_days.items():
                day = _validate_date(key, "closed_days")
                if not isinstance(name, str):
                    raise ValueError(f"closed_days[{day}]: the name must be a string, got {name!r}")
                closed[day] = name
            return closed
        if isinstance(closed_days, str) or not isinstance(closed_days, Iterable):
            raise ValueError(f"closed_days: expected dates or a mapping date -> name, got {closed_days!r}")
        return {_validate_date(day, "closed_days"): "Closed" for day in closed_days}

    def _validate_special(self, special_days: object) -> dict[date, tuple[DailyInterval, ...]]:
        if special_days is None:
            return {}
        if not isinstance(special_days, Mapping):
            raise ValueError(f"special_days: expected a mapping date -> intervals, got {special_days!r}")
        special: dict[date, tuple[DailyInterval, ...]] = {}
        for key, specs in special_days.items():
            day = _validate_date(key, "special_days")
            if day in self._closed:
                raise ValueError(f"special_days[{day}]: the date is also in closed_days")
            special[day] = parse_intervals(specs, f"special_days[{day}]")
        return special

    # ------------------------------------------------------------------ description

    @property
    def zone(self) -> ZoneInfo:
        """The zone the hours are read in and results are returned in."""
        return self._zone

    @property
    def weekly(self) -> tuple[tuple[DailyInterval, ...], ...]:
        """The normalised weekly schedule, indexed by ``date.weekday()``."""
        return self._weekly

    @property
    def years(self) -> tuple[int, int]:
        return self._years

    @property
    def country(self) -> str | None:
        return self._country

    @property
    def subdivision(self) -> str | None:
        return self._subdivision

    @property
    def categories(self) -> tuple[str, ...]:
        return self._categories

    @property
    def language(self) -> str | None:
        """Language of holiday names; ``None`` only when there is no country."""
        return self._language

    def describe_week(self) -> list[str]:
        """Display lines such as ``["Mon-Thu 09:00-17:00", "Fri 09:00-12:00", "Sat-Sun closed"]``."""
        return describe_week(self._weekly)

    def __repr__(self) -> str:
        if self._country is None:
            holiday_text = "no public holidays"
        else:
            where = self._country if self._subdivision is None else f"{self._country}-{self._subdivision}"
            holiday_text = f"holidays {where} {'+'.join(self._categories)}"
        return f"<SupportCalendar {'; '.join(self.describe_week())} ({self._zone.key}), {holiday_text}>"

    # ------------------------------------------------------------------ days and holidays

    def _holidays_of(self, year: int) -> dict[date, str]:
        cached = self._holiday_cache.get(year)
        if cached is None:
            if self._country is None:
                cached = {}
            else:
                found = holidays.country_holidays(
                    self._country,
                    subdiv=self._subdivision,
                    categories=self._categories,
                    years=year,
                    language=self._language,
                )
                cached = {day: name for day, name in found.items() if day.year == year}
            self._holiday_cache[year] = cached
        return cached

    def _hours_of(self, day: date) -> tuple[DailyInterval, ...]:
        if day in self._closed:
            return ()
        special = self._special.get(day)
        if special is not None:
            return special
        if day in self._holidays_of(day.year):
            return ()
        return self._weekly[day.weekday()]

    def hours_on(self, day: date) -> tuple[DailyInterval, ...]:
        """The intervals that start on ``day`` after holidays, closed and special days apply."""
        day = _validate_date(day, "day")
        with self._lock:
            return self._hours_of(day)

    def closure_on(self, day: date) -> Closure | None:
        """The holiday, closed day or special day on ``day``, if any."""
        day = _validate_date(day, "day")
        with self._lock:
            return self._closure(day, self._holidays_of(day.year).get(day))

    def _closure(self, day: date, holiday: str | None) -> Closure | None:
        regular = self._weekly[day.weekday()]
        if day in self._closed:
            return Closure(day, self._closed[day], "closed", (), bool(regular))
        special = self._special.get(day)
        if special is not None:
            return Closure(day, holiday or "Special opening hours", "special", special, special != regular)
        if holiday is not None:
            return Closure(day, holiday, "holiday", (), bool(regular))
        return None

    def next_closures(self, on_or_after: date, count: int) -> list[Closure]:
        """The next ``count`` holidays, closed days and special days from ``on_or_after`` (inclusive).

        For an endpoint listing "next holidays"; stops early at the end of the calendar's range.
        Cost grows with the number of such days per year, never with the number of days.
        """
        on_or_after = _validate_date(on_or_after, "on_or_after")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count: expected a non-negative integer, got {count!r}")
        found: list[Closure] = []
        first, last = self._years
        with self._lock:
            for year in range(max(first, on_or_after.year), last + 1):
                if len(found) >= count:
                    break
                named = self._holidays_of(year)
                days = {d for d in named if d >= on_or_after}
                days.update(d for d in self._closed if d.year == year and d >= on_or_after)
                days.update(d for d in self._special if d.year == year and d >= on_or_after)
                for day in sorted(days):
                    closure = self._closure(day, named.get(day))
                    if closure is not None:
                        found.append(closure)
                    if len(found) >= count:
                        break
        return found

    # ------------------------------------------------------------------ timeline

    def _wall_to_us(self, day: date, seconds: int) -> int:
        """The first instant at which the local clock shows ``day`` + ``seconds`` or later.

        Ambiguous wall times take ``fold=0`` (first occurrence); a wall time in a
        spring-forward gap maps to the transition instant, found by bisecting the offsets.
        """
        zone = self._zone
        first = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(seconds=seconds)
        second = first.replace(fold=1)
        t0 = (first - _EPOCH) // _ONE_US
        if first.utcoffset() == second.utcoffset():
            return t0
        t1 = (second - _EPOCH) // _ONE_US
        if t0 <= t1:  # repeated hour: fold=0 is the earlier occurrence
            return t0
        # Gap: t1 lies before the transition, t0 at or after it. Transitions are whole seconds.
        lo, hi = -(-t1 // _US_PER_S), t0 // _US_PER_S
        before = datetime.fromtimestamp(t1 / _US_PER_S, zone).utcoffset()
        while lo < hi:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, zone).utcoffset() == before:
                lo = mid + 1
            else:
                hi = mid
        return lo * _US_PER_S

    def _build(self, index: int) -> _Year:
        with self._lock:
            bucket = self._buckets[index]
            if bucket is not None:
                return bucket
            year = self._first_year + index
            lo, hi = self._bounds[index], self._bounds[index + 1]
            intervals: list[tuple[int, int]] = []
            # An interval can run past midnight, so 31 December of the year before spills in.
            day = date(year - 1, 12, 31)
            stop = date(year + 1, 1, 1)
            while day < stop:
                for interval in self._hours_of(day):
                    start = self._wall_to_us(day, interval.start)
                    end = self._wall_to_us(day, interval.end)
                    start = max(start, lo)
                    end = min(end, hi)
                    if end > start:
                        intervals.append((start, end))
                day += _ONE_DAY
            bucket = _Year(intervals)
            self._buckets[index] = bucket
            return bucket

    def _index(self, t: int) -> int:
        i = bisect_right(self._bounds, t) - 1
        if i < 0 or i >= self._nyears:
            raise self._outside(t)
        return i

    def _outside(self, t: int) -> OutOfRangeError:
        first, last = self._years
        return OutOfRangeError(f"{self._from_us(t).isoformat()} is outside the calendar's years {first}-{last}")

    def _bucket(self, index: int) -> _Year:
        bucket = self._buckets[index]
        return bucket if bucket is not None else self._build(index)

    def _end_of_range(self, what: str) -> OutOfRangeError:
        first, last = self._years
        return OutOfRangeError(f"{what} lies beyond the calendar's years {first}-{last}")

    def _start_of_range(self, what: str) -> OutOfRangeError:
        first, last = self._years
        return OutOfRangeError(f"{what} lies before the calendar's years {first}-{last}")

    @staticmethod
    def _to_us(at: object, field: str) -> int:
        """Epoch microseconds of an aware datetime; the slow, checking path (hot paths inline it)."""
        if not isinstance(at, datetime):
            raise TypeError(f"{field}: expected a timezone-aware datetime, got {type(at).__name__}")
        if at.tzinfo is None:
            raise ValueError(f"{field}: naive datetime {at.isoformat()} (expected a timezone-aware datetime)")
        try:
            return (at - _EPOCH) // _ONE_US
        except TypeError:  # a tzinfo whose utcoffset() is None: naive in disguise
            raise ValueError(f"{field}: {at!r} has no UTC offset (expected a timezone-aware datetime)") from None

    def _from_us(self, t: int) -> datetime:
        seconds, micro = divmod(t, _US_PER_S)
        if not micro:
            return datetime.fromtimestamp(seconds, self._zone)
        if -_FLOAT_EXACT_S < seconds < _FLOAT_EXACT_S:
            # Exact: below 2**32 s the float's error stays under half a microsecond and
            # fromtimestamp rounds to the nearest one; .replace(microsecond=) costs 3x more.
            return datetime.fromtimestamp(t / _US_PER_S, self._zone)
        return datetime.fromtimestamp(seconds, self._zone).replace(microsecond=micro)

    # ------------------------------------------------------------------ the questions (R6.2)
    #
    # The four hot methods inline the conversion, the bucket lookup and the prefix sum:
    # each saved call is worth ~5% at the 100,000 ops/s target.

    def is_open(self, at: datetime) -> bool:
        """Whether support is open at instant ``at`` (intervals are half-open: closed at 17:00)."""
        try:
            t = (at - _EPOCH) // _ONE_US
        except TypeError:
            self._to_us(at, "at")
            raise
        i = bisect_right(self._bounds, t) - 1
        if i < 0 or i >= self._nyears:
            raise self._outside(t)
        bucket = self._buckets[i] or self._build(i)
        j = bisect_right(bucket.starts, t) - 1
        return j >= 0 and t < bucket.ends[j]

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself (in the calendar's zone) when open, else the next opening instant."""
        try:
            t = (at - _EPOCH) // _ONE_US
        except TypeError:
            self._to_us(at, "at")
            raise
        index = bisect_right(self._bounds, t) - 1
        if index < 0 or index >= self._nyears:
            raise self._outside(t)
        bucket = self._buckets[index] or self._build(index)
        i = bisect_right(bucket.starts, t) - 1
        if i >= 0 and t < bucket.ends[i]:
            return self._from_us(t)
        i += 1
        while i >= len(bucket.starts):
            index += 1
            if index >= self._nyears:
                raise self._end_of_range(f"the next opening after {at.isoformat()}")
            bucket = self._bucket(index)
            i = 0
        return self._from_us(bucket.starts[i])

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of support time has passed since ``start``.

        A duration ending exactly at closing time gives that closing time (Thursday 17:00,
        not Friday 09:00). ``add(t, timedelta(0))`` is ``next_open(t)``.

        A negative duration walks backwards: the result is the *latest* instant ``u`` with
        ``between(u, start) == -duration`` (so one hour before Friday 09:00 is Thursday 16:00,
        and eight hours before it is Thursday 09:00, not Wednesday 17:00).
        """
        try:
            t = (start - _EPOCH) // _ONE_US
            d = duration // _ONE_US
        except TypeError:
            self._to_us(start, "start")
            if not isinstance(duration, timedelta):
                raise TypeError(f"duration: expected a timedelta, got {type(duration).__name__}") from None
            raise
        if d == 0:
            return self.next_open(start)
        index = bisect_right(self._bounds, t) - 1
        if index < 0 or index >= self._nyears:
            raise self._outside(t)
        bucket = self._buckets[index] or self._build(index)
        starts = bucket.starts
        i = bisect_right(starts, t) - 1
        if i >= 0:
            end = bucket.ends[i]
            target = bucket.cum[i] + (t if t < end else end) - starts[i] + d
        else:
            target = d
        if d > 0:
            while target > bucket.total:
                target -= bucket.total
                index += 1
                if index >= self._nyears:
                    raise self._end_of_range(f"{start.isoformat()} + {duration} of support time")
                bucket = self._bucket(index)
            i = bisect_left(bucket.cum_end, target)
        else:
            while target < 0:
                index -= 1
                if index < 0:
                    raise self._start_of_range(f"{start.isoformat()} - {-duration} of support time")
                bucket = self._bucket(index)
                target += bucket.total
            i = bisect_right(bucket.cum_end, target)
        return self._from_us(bucket.starts[i] + target - bucket.cum[i])

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Support time inside ``[start, end)``; negative (``-between(end, start)``) when ``end < start``."""
        try:
            a = (start - _EPOCH) // _ONE_US
            b = (end - _EPOCH) // _ONE_US
        except TypeError:
            self._to_us(start, "start")
            self._to_us(end, "end")
            raise
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        bounds, nyears, buckets = self._bounds, self._nyears, self._buckets
        ia = bisect_right(bounds, a) - 1
        ib = bisect_right(bounds, b) - 1
        if ia < 0:
            raise self._outside(a)
        if ib >= nyears:
            raise self._outside(b)
        bucket = buckets[ia] or self._build(ia)
        starts = bucket.starts
        i = bisect_right(starts, a) - 1
        if i >= 0:
            stop = bucket.ends[i]
            total = -(bucket.cum[i] + (a if a < stop else stop) - starts[i])
        else:
            total = 0
        if ia != ib:
            total += bucket.total
            for index in range(ia + 1, ib):
                total += (buckets[index] or self._build(index)).total
            bucket = buckets[ib] or self._build(ib)
            starts = bucket.starts
        i = bisect_right(starts, b) - 1
        if i >= 0:
            stop = bucket.ends[i]
            total += bucket.cum[i] + (b if b < stop else stop) - starts[i]
        return _ONE_US * (total * sign)

    def next_open_slots(self, at: datetime, length: timedelta, count: int) -> list[tuple[datetime, datetime]]:
        """Up to ``count`` slots ``(start, end)`` of ``length``, each wholly inside support hours (R6.4).

        Slots start at or after ``at`` on a grid aligned to the start of each continuous open
        period (09:00, 09:30, ... for 30-minute slots), so a callback never straddles a
        closing time. For alignment a period is cut at local midnight of 1 January. Fewer
        slots come back only when the calendar's range ends first.
        """
        t = self._to_us(at, "at")
        if not isinstance(length, timedelta) or length <= timedelta(0):
            raise ValueError(f"length: expected a positive timedelta, got {length!r}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count: expected a non-negative integer, got {count!r}")
        step = length // _ONE_US
        slots: list[tuple[datetime, datetime]] = []
        if count == 0:
            return slots
        index = self._index(t)
        bucket = self._bucket(index)
        i = max(bisect_right(bucket.starts, t) - 1, 0)
        while True:
            while i >= len(bucket.starts):
                index += 1
                if index >= self._nyears:
                    return slots
                bucket = self._bucket(index)
                i = 0
            start, end = bucket.starts[i], bucket.ends[i]
            slot = start if t <= start else start - (start - t) // step * step
            while slot + step <= end:
                slots.append((self._from_us(slot), self._from_us(slot + step)))
                if len(slots) == count:
                    return slots
                slot += step
            i += 1
