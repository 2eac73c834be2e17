"""Example tests for the support-hours engine, named after the SPEC rules they pin down."""

from __future__ import annotations

import ast
import pathlib
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from partnerdesk.hours import Closure, DailyInterval, OutOfRangeError, SupportCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def b(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0, *, fold: int = 0
) -> datetime:
    """A Berlin wall-clock instant."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=BERLIN, fold=fold)


def same_instant(x: datetime, y: datetime) -> bool:
    """Exact instant equality (PEP 495 makes inter-zone == false inside a repeated hour)."""
    return (x - EPOCH) == (y - EPOCH)


@pytest.fixture(scope="module")
def cal() -> SupportCalendar:
    return SupportCalendar.vendor_default()


def weekly_cal(weekly: dict[int, list[tuple[str, str]]], **kwargs: object) -> SupportCalendar:
    return SupportCalendar(weekly, timezone="Europe/Berlin", country=None, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- R6.1 the vendor's hours


def test_r6_1_vendor_default_schedule_is_the_sources(cal: SupportCalendar) -> None:
    assert cal.describe_week() == ["Mon-Thu 09:00-17:00", "Fri 09:00-12:00", "Sat-Sun closed"]
    assert cal.zone == BERLIN
    assert cal.country == "DE" and cal.subdivision is None and cal.categories == ("public",)


def test_r6_1_monday_to_thursday_open_nine_to_five(cal: SupportCalendar) -> None:
    for day in (3, 4, 5, 6):  # Mon 3 .. Thu 6 June 2024
        assert not cal.is_open(b(2024, 6, day, 8, 59, 59))
        assert cal.is_open(b(2024, 6, day, 9))
        assert cal.is_open(b(2024, 6, day, 16, 59, 59))
        assert not cal.is_open(b(2024, 6, day, 17))
        assert cal.between(b(2024, 6, day), b(2024, 6, day + 1)) == 8 * H


def test_r6_1_friday_closes_at_noon(cal: SupportCalendar) -> None:
    assert cal.is_open(b(2024, 6, 7, 11, 59))
    assert not cal.is_open(b(2024, 6, 7, 12))
    assert cal.between(b(2024, 6, 7), b(2024, 6, 8)) == 3 * H
    assert cal.next_open(b(2024, 6, 7, 12)) == b(2024, 6, 10, 9)


def test_r6_1_weekend_closed(cal: SupportCalendar) -> None:
    assert not cal.is_open(b(2024, 6, 8, 10))
    assert not cal.is_open(b(2024, 6, 9, 10))
    assert cal.between(b(2024, 6, 8), b(2024, 6, 10)) == timedelta(0)
    assert cal.between(b(2024, 6, 3), b(2024, 6, 10)) == 35 * H


@pytest.mark.parametrize(
    ("day", "weekday"),
    [
        (date(2023, 10, 3), "Tue"),  # German Unity Day
        (date(2024, 10, 3), "Thu"),
        (date(2025, 10, 3), "Fri"),
        (date(2022, 10, 3), "Mon"),
        (date(2029, 10, 3), "Wed"),
        (date(2024, 5, 1), "Wed"),  # Labour Day
        (date(2024, 3, 29), "Fri"),  # Good Friday
        (date(2024, 4, 1), "Mon"),  # Easter Monday
    ],
)
def test_r6_1_public_holiday_closes_on_any_weekday(cal: SupportCalendar, day: date, weekday: str) -> None:
    assert day.strftime("%a") == weekday
    noon = b(day.year, day.month, day.day, 10)
    assert not cal.is_open(noon)
    assert cal.between(b(day.year, day.month, day.day), b(day.year, day.month, day.day) + 24 * H) == timedelta(0)
    closure = cal.closure_on(day)
    assert closure is not None and closure.kind == "holiday" and closure.affects_support


def test_r6_1_bavaria_assumption_day_closed_only_with_catholic_category() -> None:
    assumption = b(2024, 8, 15, 10)  # a Thursday
    nationwide = SupportCalendar.vendor_default()
    bavaria = SupportCalendar.vendor_default(subdivision="BY")
    bavaria_catholic = SupportCalendar.vendor_default(subdivision="BY", categories=("public", "catholic"))
    assert nationwide.is_open(assumption)
    assert bavaria.is_open(assumption)
    assert not bavaria_catholic.is_open(assumption)
    assert bavaria_catholic.next_open(assumption) == b(2024, 8, 16, 9)
    closure = bavaria_catholic.closure_on(date(2024, 8, 15))
    assert closure is not None and closure.name == "Assumption Day"


def test_r6_1_state_holiday_only_in_that_state() -> None:
    epiphany = b(2025, 1, 6, 10)  # Monday; a public holiday in Bavaria, not nationwide
    assert SupportCalendar.vendor_default().is_open(epiphany)
    assert not SupportCalendar.vendor_default("BY").is_open(epiphany)


def test_r6_1_extra_closed_day() -> None:
    cal = SupportCalendar.vendor_default(closed_days={date(2024, 6, 5): "Company offsite"})
    assert not cal.is_open(b(2024, 6, 5, 10))
    assert cal.between(b(2024, 6, 3), b(2024, 6, 10)) == 27 * H
    assert cal.closure_on(date(2024, 6, 5)) == Closure(date(2024, 6, 5), "Company offsite", "closed", (), True)


def test_r6_1_half_day_replaces_the_days_hours() -> None:
    cal = SupportCalendar.vendor_default(special_days={date(2024, 12, 24): [("09:00", "12:00")]})
    assert cal.is_open(b(2024, 12, 24, 11, 59))
    assert not cal.is_open(b(2024, 12, 24, 12))
    assert cal.between(b(2024, 12, 24), b(2024, 12, 25)) == 3 * H
    assert cal.add(b(2024, 12, 24, 11), 2 * H) == b(2024, 12, 27, 10)  # 25/26 Dec are holidays


def test_r6_1_special_day_can_open_a_public_holiday() -> None:
    cal = SupportCalendar.vendor_default(special_days={date(2024, 10, 3): [("10:00", "11:00")]})
    assert cal.between(b(2024, 10, 3), b(2024, 10, 4)) == H
    closure = cal.closure_on(date(2024, 10, 3))
    assert closure is not None and closure.kind == "special" and closure.name == "German Unity Day"


def test_r6_1_holiday_names_do_not_depend_on_the_server_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "de_DE")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    english = SupportCalendar.vendor_default()
    german = SupportCalendar.vendor_default(language="de")
    assert english.language == "en_US" and german.language == "de"
    assert english.next_closures(date(2024, 12, 25), 1)[0].name == "Christmas Day"
    assert german.next_closures(date(2024, 12, 25), 1)[0].name == "Erster Weihnachtstag"


def test_r6_1_next_closures_lists_holidays_closed_and_special_days_with_names() -> None:
    cal = SupportCalendar.vendor_default(
        "BY",
        categories=("public", "catholic"),
        closed_days={date(2024, 12, 31): "New Year's Eve"},
        special_days={date(2024, 12, 24): [("09:00", "12:00")]},
    )
    found = cal.next_closures(date(2024, 8, 15), 8)
    assert [(c.day, c.kind) for c in found] == [
        (date(2024, 8, 15), "holiday"),
        (date(2024, 10, 3), "holiday"),
        (date(2024, 11, 1), "holiday"),
        (date(2024, 12, 24), "special"),
        (date(2024, 12, 25), "holiday"),
        (date(2024, 12, 26), "holiday"),
        (date(2024, 12, 31), "closed"),
        (date(2025, 1, 1), "holiday"),
    ]
    assert found[0].name == "Assumption Day"
    assert found[3].hours == (DailyInterval(9 * 3600, 12 * 3600),)
    assert found[6].name == "New Year's Eve"
    # A holiday on a weekend is listed but changes nothing.
    sunday = cal.next_closures(date(2027, 8, 15), 1)[0]
    assert sunday.day == date(2027, 8, 15) and not sunday.affects_support
    # Stops at the end of the range instead of inventing days.
    assert [c.day for c in cal.next_closures(date(2100, 12, 25), 10)] == [date(2100, 12, 25), date(2100, 12, 26)]
    assert cal.next_closures(date(2024, 1, 1), 0) == []


# ---------------------------------------------------------------- R6.2 the questions


def test_r6_2_add_ending_at_closing_time_returns_closing_time(cal: SupportCalendar) -> None:
    thursday_four = b(2024, 6, 6, 16)
    assert cal.add(thursday_four, H) == b(2024, 6, 6, 17)  # Thursday 17:00, not Friday 09:00
    assert cal.add(b(2024, 6, 6, 9), 8 * H) == b(2024, 6, 6, 17)
    assert cal.add(thursday_four, H + timedelta(seconds=1)) == b(2024, 6, 7, 9, 0, 1)


def test_r6_2_add_zero_is_next_open(cal: SupportCalendar) -> None:
    assert cal.add(b(2024, 6, 8, 10), timedelta(0)) == b(2024, 6, 10, 9)
    assert cal.add(b(2024, 6, 6, 17), timedelta(0)) == b(2024, 6, 7, 9)
    assert cal.add(b(2024, 6, 6, 10, 30), timedelta(0)) == b(2024, 6, 6, 10, 30)


def test_r6_2_next_open_is_at_itself_when_open_in_the_calendars_zone(cal: SupportCalendar) -> None:
    at = datetime(2024, 6, 6, 8, 30, 15, 123456, tzinfo=UTC)  # 10:30 in Berlin
    result = cal.next_open(at)
    assert result == at and result.tzinfo is BERLIN and result.hour == 10
    assert cal.next_open(b(2024, 6, 6, 8)) == b(2024, 6, 6, 9)


def test_r6_2_next_open_skips_easter(cal: SupportCalendar) -> None:
    assert cal.next_open(b(2024, 3, 28, 17)) == b(2024, 4, 2, 9)  # Good Friday .. Easter Monday
    assert cal.add(b(2024, 3, 28, 16), 2 * H) == b(2024, 4, 2, 10)


def test_r6_2_inputs_in_any_zone_results_in_calendar_zone(cal: SupportCalendar) -> None:
    new_york_morning = datetime(2024, 6, 6, 4, tzinfo=NEW_YORK)  # 10:00 Berlin
    result = cal.add(new_york_morning, 2 * H)
    assert result.tzinfo is BERLIN and result == b(2024, 6, 6, 12)
    assert cal.between(new_york_morning, datetime(2024, 6, 6, 14, tzinfo=UTC)) == 6 * H


def test_r6_2_naive_datetime_raises_value_error(cal: SupportCalendar) -> None:
    naive = datetime(2024, 6, 6, 10)  # noqa: DTZ001
    aware = b(2024, 6, 6, 10)
    for call in (
        lambda: cal.is_open(naive),
        lambda: cal.next_open(naive),
        lambda: cal.add(naive, H),
        lambda: cal.between(naive, aware),
        lambda: cal.between(aware, naive),
        lambda: cal.next_open_slots(naive, H, 1),
    ):
        with pytest.raises(ValueError, match="naive"):
            call()


def test_r6_2_wrong_types_raise_type_error(cal: SupportCalendar) -> None:
    with pytest.raises(TypeError, match="duration"):
        cal.add(b(2024, 6, 6, 10), 3600)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="at"):
        cal.is_open(date(2024, 6, 6))  # type: ignore[arg-type]


def test_r6_2_between_negative_when_end_before_start(cal: SupportCalendar) -> None:
    assert cal.between(b(2024, 6, 6, 12), b(2024, 6, 6, 10)) == -2 * H
    assert cal.between(b(2024, 6, 10, 10), b(2024, 6, 6, 16)) == -(H + 3 * H + H)
    assert cal.between(b(2024, 6, 6, 10), b(2024, 6, 6, 10)) == timedelta(0)


def test_r6_2_add_negative_walks_backwards_to_the_latest_instant(cal: SupportCalendar) -> None:
    friday_nine = b(2024, 6, 7, 9)
    assert cal.add(friday_nine, -H) == b(2024, 6, 6, 16)
    assert cal.add(friday_nine, -8 * H) == b(2024, 6, 6, 9)  # not Wednesday 17:00
    assert cal.add(friday_nine, -8 * H - timedelta(seconds=1)) == b(2024, 6, 5, 16, 59, 59)
    assert cal.add(b(2024, 4, 2, 10), -2 * H) == b(2024, 3, 28, 16)  # back over Easter


def test_r6_2_exact_to_the_microsecond(cal: SupportCalendar) -> None:
    start = b(2024, 6, 6, 16, 59, 59, 999_999)
    assert cal.add(start, timedelta(microseconds=2)) == b(2024, 6, 7, 9, 0, 0, 1)
    assert cal.between(start, b(2024, 6, 7, 9, 0, 0, 1)) == timedelta(microseconds=2)


def test_r6_2_second_precision_boundaries() -> None:
    cal = weekly_cal({0: [("09:00:30", "09:01:15")]})
    assert cal.between(b(2024, 6, 3), b(2024, 6, 4)) == timedelta(seconds=45)
    assert cal.next_open(b(2024, 6, 3, 9)) == b(2024, 6, 3, 9, 0, 30)
    assert cal.add(b(2024, 6, 3, 9, 1), timedelta(seconds=20)) == b(2024, 6, 10, 9, 0, 35)


# ---------------------------------------------------------------- daylight saving time


def test_r6_2_dst_spring_forward_friday_to_monday(cal: SupportCalendar) -> None:
    # 30 March 2025: clocks go 02:00 CET -> 03:00 CEST. Support time is real time.
    assert cal.add(b(2025, 3, 28, 11), 2 * H) == b(2025, 3, 31, 10)
    assert cal.between(b(2025, 3, 28, 11), b(2025, 3, 31, 10)) == 2 * H
    assert cal.between(b(2025, 3, 24), b(2025, 3, 31)) == 35 * H


def test_r6_2_dst_fall_back_friday_to_monday(cal: SupportCalendar) -> None:
    # 26 October 2025: clocks go 03:00 CEST -> 02:00 CET.
    assert cal.add(b(2025, 10, 24, 11), 2 * H) == b(2025, 10, 27, 10)
    assert cal.between(b(2025, 10, 20), b(2025, 10, 27)) == 35 * H


def test_r6_2_dst_wall_clock_interval_is_two_real_hours_in_spring_four_in_autumn() -> None:
    cal = weekly_cal({6: [("01:00", "04:00")]})
    assert cal.between(b(2025, 3, 30), b(2025, 3, 31)) == 2 * H
    assert cal.between(b(2025, 10, 26), b(2025, 10, 27)) == 4 * H  # 3 wall-clock hours + the repeated one
    assert cal.between(b(2025, 6, 1), b(2025, 6, 2)) == 3 * H
    # The repeated 02:00-03:00 is open both times round.
    assert cal.is_open(b(2025, 10, 26, 2, 30, fold=0))
    assert cal.is_open(b(2025, 10, 26, 2, 30, fold=1))


def test_r6_2_dst_nonexistent_boundary_means_the_transition() -> None:
    # 02:30 does not exist on 30 March 2025; the interval opens when the clock jumps to 03:00.
    cal = weekly_cal({6: [("02:30", "05:00")]})
    assert cal.next_open(b(2025, 3, 30, 1)) == b(2025, 3, 30, 3)
    assert cal.between(b(2025, 3, 30), b(2025, 3, 31)) == 2 * H
    # An interval entirely inside the gap is empty rather than inverted.
    gap_only = weekly_cal({6: [("02:15", "02:45"), ("10:00", "11:00")]})
    assert gap_only.between(b(2025, 3, 30), b(2025, 3, 31)) == H


def test_r6_2_dst_ambiguous_boundary_means_its_first_occurrence() -> None:
    # 02:30 happens twice on 26 October 2025; an interval from 02:30 starts at the first one
    # and stays open through the repeated half hour.
    cal = weekly_cal({6: [("02:30", "05:00")]})
    first = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert same_instant(cal.next_open(b(2025, 10, 26, 1)), first)
    assert cal.between(b(2025, 10, 26), b(2025, 10, 27)) == 3.5 * H
    # Ending in the repeated hour ends at the first occurrence too.
    night = weekly_cal({5: [("22:00", "02:30")]})
    assert cal.is_open(b(2025, 10, 26, 2, 15, fold=1))
    assert night.between(b(2025, 10, 25, 12), b(2025, 10, 26, 12)) == 4.5 * H
    assert not night.is_open(b(2025, 10, 26, 2, 15, fold=1))


def test_r6_2_results_in_the_repeated_hour_carry_fold() -> None:
    cal = weekly_cal({6: [("00:00", "24:00")]})
    result = cal.add(b(2025, 10, 26, 0), 3 * H)  # 00:00 CEST + 3 h = 02:00 CET (second 02:00)
    assert (result.hour, result.fold) == (2, 1)
    assert result.utcoffset() == H


def test_r6_2_dst_1990_autumn_change_was_in_september(cal: SupportCalendar) -> None:
    # Until 1995 Germany left summer time on the last Sunday of September.
    assert cal.add(b(1990, 9, 28, 11), 2 * H) == b(1990, 10, 1, 10)
    assert b(1990, 10, 1, 10).utcoffset() == H


# ---------------------------------------------------------------- year ends and range


def test_r6_2_year_end_christmas_to_new_year(cal: SupportCalendar) -> None:
    # 24 Dec 2024 (Tue) is a normal day in law; 25/26 Dec and 1 Jan are holidays.
    assert cal.between(b(2024, 12, 24), b(2025, 1, 3)) == 8 * H + 3 * H + 8 * H + 8 * H + 8 * H
    assert cal.add(b(2024, 12, 31, 16), 2 * H) == b(2025, 1, 2, 10)
    assert cal.next_open(b(2024, 12, 31, 17)) == b(2025, 1, 2, 9)
    assert cal.add(b(2025, 1, 2, 10), -2 * H) == b(2024, 12, 31, 16)


def test_r6_2_year_end_with_half_day_and_closed_day() -> None:
    cal = SupportCalendar.vendor_default(
        closed_days=[date(2024, 12, 31)], special_days={date(2024, 12, 24): [("09:00", "12:00")]}
    )
    assert cal.between(b(2024, 12, 24), b(2025, 1, 3)) == 3 * H + 3 * H + 8 * H + 8 * H
    assert cal.add(b(2024, 12, 30, 16), 2 * H) == b(2025, 1, 2, 10)


def test_r6_2_year_1990_boundary(cal: SupportCalendar) -> None:
    # The holidays package knows German holidays from 1991 on; 1990 has the weekly hours only.
    assert cal.is_open(b(1990, 1, 1, 10))
    assert cal.add(b(1990, 12, 31, 16), 2 * H) == b(1991, 1, 2, 10)  # 1 Jan 1991 is a holiday
    with pytest.raises(OutOfRangeError):
        cal.is_open(b(1989, 12, 31, 23, 59, 59))
    with pytest.raises(OutOfRangeError, match="before"):
        cal.add(b(1990, 1, 1, 10), -2 * H)
    assert cal.add(b(1990, 1, 1, 10), -H) == b(1990, 1, 1, 9)
    assert isinstance(OutOfRangeError("x"), ValueError)


def test_r6_2_year_2100_boundary(cal: SupportCalendar) -> None:
    assert date(2100, 12, 31).strftime("%a") == "Fri"
    assert not cal.is_open(b(2100, 12, 25, 10)) and not cal.is_open(b(2100, 12, 26, 10))
    assert cal.add(b(2100, 12, 30, 16), 4 * H) == b(2100, 12, 31, 12)
    assert cal.between(b(2100, 12, 1), b(2100, 12, 31, 23, 59, 59)) > timedelta(0)
    with pytest.raises(OutOfRangeError, match="beyond"):
        cal.add(b(2100, 12, 30, 16), 4 * H + timedelta(seconds=1))
    with pytest.raises(OutOfRangeError, match="beyond"):
        cal.next_open(b(2100, 12, 31, 12))
    with pytest.raises(OutOfRangeError):
        cal.between(b(2100, 12, 1), b(2101, 1, 1))


def test_r6_2_range_is_configurable() -> None:
    cal = SupportCalendar.vendor_default(years=(2024, 2024))
    assert cal.years == (2024, 2024)
    assert cal.between(b(2024, 1, 1), b(2024, 12, 31, 23)) > timedelta(0)
    with pytest.raises(OutOfRangeError):
        cal.is_open(b(2025, 1, 1))


@pytest.mark.parametrize("years", [(1900, 1901), (2200, 2201), (8999, 9000)])
def test_r6_2_exact_to_the_microsecond_far_from_today(years: tuple[int, int]) -> None:
    """Negative epoch seconds and instants past 2**32 s keep microseconds exact too."""
    cal = SupportCalendar({d: [("09:00", "17:00")] for d in range(7)}, country=None, years=years)
    start = b(years[0], 6, 3, 16, 59, 59, 999_999)
    result = cal.add(start, timedelta(microseconds=3))
    assert result == b(years[0], 6, 4, 9, 0, 0, 2) and result.microsecond == 2
    assert cal.between(start, result) == timedelta(microseconds=3)
    assert cal.add(result, -timedelta(microseconds=3)) == start


def test_r6_2_between_over_a_century(cal: SupportCalendar) -> None:
    total = cal.between(b(1990, 1, 1), b(2100, 12, 31))
    by_year = sum((cal.between(b(y, 1, 1), b(y + 1, 1, 1)) for y in range(1990, 2100)), timedelta(0))
    assert total == by_year + cal.between(b(2100, 1, 1), b(2100, 12, 31))
    assert cal.add(b(1990, 1, 1), total) == b(2100, 12, 30, 17)


# ---------------------------------------------------------------- schedule shapes


def test_r6_2_schedule_crossing_midnight() -> None:
    cal = weekly_cal({0: [("22:00", "02:00")]})
    assert cal.describe_week() == ["Mon 22:00-02:00 (next day)", "Tue-Sun closed"]
    assert cal.is_open(b(2024, 6, 4, 1))  # Tuesday 01:00
    assert not cal.is_open(b(2024, 6, 4, 2))
    assert cal.add(b(2024, 6, 3, 23), 3 * H) == b(2024, 6, 4, 2)  # closing time, not next Monday
    assert cal.add(b(2024, 6, 3, 23), 4 * H) == b(2024, 6, 10, 23)
    assert cal.between(b(2024, 6, 1), b(2024, 6, 8)) == 4 * H


def test_r6_2_night_shift_belongs_to_the_day_it_starts() -> None:
    # A holiday on the Monday removes its night shift; one on the Tuesday does not.
    monday_off = weekly_cal({0: [("22:00", "02:00")]}, closed_days=[date(2024, 6, 3)])
    tuesday_off = weekly_cal({0: [("22:00", "02:00")]}, closed_days=[date(2024, 6, 4)])
    assert monday_off.between(b(2024, 6, 3), b(2024, 6, 5)) == timedelta(0)
    assert tuesday_off.between(b(2024, 6, 3), b(2024, 6, 5)) == 4 * H


def test_r6_2_shift_crossing_new_year() -> None:
    cal = weekly_cal({d: [("20:00", "04:00")] for d in range(7)})
    assert cal.is_open(b(2025, 1, 1, 0))
    assert cal.between(b(2024, 12, 31, 12), b(2025, 1, 1, 12)) == 8 * H
    assert cal.add(b(2024, 12, 31, 23), 2 * H) == b(2025, 1, 1, 1)
    assert cal.add(b(2025, 1, 1, 1), -2 * H) == b(2024, 12, 31, 23)


def test_r6_2_touching_intervals_behave_as_one_interval() -> None:
    split = weekly_cal({0: [("09:00", "12:00"), ("12:00", "17:00")]})
    whole = weekly_cal({0: [("09:00", "17:00")]})
    noon = b(2024, 6, 3, 12)
    assert split.is_open(noon) and split.next_open(noon) == noon
    assert split.add(b(2024, 6, 3, 11), H) == noon
    assert split.add(b(2024, 6, 3, 11), 2 * H) == b(2024, 6, 3, 13)
    two_hours = [(s.hour, e.hour) for s, e in split.next_open_slots(b(2024, 6, 3, 8), 2 * H, 4)]
    assert two_hours == [(9, 11), (11, 13), (13, 15), (15, 17)]  # 11-13 spans the join
    for start in (b(2024, 6, 1), b(2024, 6, 3, 11, 30)):
        assert split.between(start, start + 30 * 24 * H) == whole.between(start, start + 30 * 24 * H)


def test_r6_2_overlapping_intervals_count_once() -> None:
    cal = weekly_cal({0: [("09:00", "13:00"), ("11:00", "17:00")], 1: [("00:30", "01:30")], 6: [("23:00", "01:00")]})
    assert cal.between(b(2024, 6, 3), b(2024, 6, 4)) == 9 * H  # 00:00-01:00 from Sunday + 09:00-17:00
    assert cal.between(b(2024, 6, 2), b(2024, 6, 5)) == 2 * H + 8 * H + H


def test_r6_2_whole_day_interval() -> None:
    cal = weekly_cal({d: [("00:00", "24:00")] for d in range(7)})
    assert cal.between(b(2025, 1, 1), b(2026, 1, 1)) == timedelta(days=365)
    assert cal.between(b(2025, 3, 30), b(2025, 3, 31)) == 23 * H  # real time
    assert cal.describe_week() == ["Mon-Sun 00:00-24:00"]


def test_r6_2_calendar_that_never_opens_raises_out_of_range() -> None:
    cal = weekly_cal({}, years=(2024, 2025))
    assert cal.between(b(2024, 1, 1), b(2025, 12, 31)) == timedelta(0)
    with pytest.raises(OutOfRangeError):
        cal.next_open(b(2024, 1, 1))
    with pytest.raises(OutOfRangeError):
        cal.add(b(2024, 1, 1), H)


# ---------------------------------------------------------------- R6.4 callback slots


def test_r6_4_next_open_slots_are_aligned_and_never_straddle_closing(cal: SupportCalendar) -> None:
    slots = cal.next_open_slots(b(2024, 6, 7, 10, 40), timedelta(minutes=30), 4)
    assert [(s.strftime("%a %H:%M"), e.strftime("%H:%M")) for s, e in slots] == [
        ("Fri 11:00", "11:30"),
        ("Fri 11:30", "12:00"),
        ("Mon 09:00", "09:30"),
        ("Mon 09:30", "10:00"),
    ]
    assert all(s.tzinfo is BERLIN for s, _ in slots)
    # A 4-hour slot never fits on a Friday.
    assert [s.strftime("%a %H:%M") for s, _ in cal.next_open_slots(b(2024, 6, 7, 8), 4 * H, 2)] == [
        "Mon 09:00",
        "Mon 13:00",
    ]
    assert cal.next_open_slots(b(2024, 6, 7, 8), H, 0) == []
    with pytest.raises(ValueError, match="length"):
        cal.next_open_slots(b(2024, 6, 7, 8), timedelta(0), 1)
    with pytest.raises(ValueError, match="count"):
        cal.next_open_slots(b(2024, 6, 7, 8), H, -1)


def test_r6_4_slots_stop_at_the_end_of_the_range(cal: SupportCalendar) -> None:
    assert len(cal.next_open_slots(b(2100, 12, 31, 10), H, 5)) == 2


# ---------------------------------------------------------------- construction


def test_r6_1_general_constructor_equals_vendor_default(cal: SupportCalendar) -> None:
    general = SupportCalendar(
        {
            0: [("09:00", "17:00")],
            1: [("09:00", "17:00")],
            2: [(time(9), time(17))],
            3: [("9:00", "17:00:00")],
            4: [("09:00", "12:00")],
        },
        timezone=ZoneInfo("Europe/Berlin"),
        country="DE",
        subdivision=None,
        categories=("public",),
    )
    assert general.weekly == cal.weekly
    start = b(2024, 1, 1)
    assert general.between(start, b(2026, 1, 1)) == cal.between(start, b(2026, 1, 1))
    assert repr(general) == (
        "<SupportCalendar Mon-Thu 09:00-17:00; Fri 09:00-12:00; Sat-Sun closed (Europe/Berlin), holidays DE public>"
    )
    assert "no public holidays" in repr(weekly_cal({0: [("09:00", "17:00")]}))


def test_r6_2_one_calendar_shared_between_threads_builds_its_cache_once_and_agrees() -> None:
    """Django serves requests on threads; the lazily built year buckets must not race."""
    shared = SupportCalendar.vendor_default("BY", categories=("public", "catholic"))
    starts = [b(1990 + (i * 7) % 108, 1 + i % 12, 1 + i % 28, i % 24) for i in range(400)]
    single = SupportCalendar.vendor_default("BY", categories=("public", "catholic"))
    expected = [single.between(s, s + 500 * 24 * H) for s in starts]
    results: dict[int, list[timedelta]] = {}

    def work(n: int) -> None:
        results[n] = [shared.between(s, s + 500 * 24 * H) for s in starts]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(results[n] == expected for n in range(4))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weekly": {7: [("09:00", "17:00")]}}, "weekly"),
        ({"weekly": {"Mon": [("09:00", "17:00")]}}, "weekly"),
        ({"weekly": {0: [("09:00", "25:00")]}}, r"weekly\[0\]\[0\]\.end"),
        ({"weekly": {0: [("9am", "17:00")]}}, r"weekly\[0\]\[0\]\.start"),
        ({"weekly": {0: [("24:00", "17:00")]}}, r"weekly\[0\]\[0\]\.start"),
        ({"weekly": {0: [("09:00", "09:00")]}}, r"weekly\[0\]\[0\]"),
        ({"weekly": {0: ("09:00", "17:00")}}, r"weekly\[0\]\[0\]"),
        ({"weekly": {0: "09:00-17:00"}}, r"weekly\[0\]"),
        ({"weekly": {0: [(time(9, tzinfo=UTC), "17:00")]}}, r"weekly\[0\]\[0\]\.start"),
        ({"weekly": [("09:00", "17:00")]}, "weekly"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"subdivision": "ZZ"}, "subdivision"),
        ({"country": None, "subdivision": "BY"}, "subdivision"),
        ({"categories": ("public", "unknown")}, "categories"),
        ({"categories": "public"}, "categories"),
        ({"categories": ()}, "categories"),
        ({"closed_days": [datetime(2024, 1, 1, tzinfo=UTC)]}, "closed_days"),
        ({"closed_days": ["2024-01-01"]}, "closed_days"),
        ({"closed_days": {date(2024, 1, 1): 5}}, "closed_days"),
        ({"special_days": {date(2024, 1, 1): [("09:00", "xx")]}}, r"special_days\[2024-01-01\]\[0\]\.end"),
        ({"special_days": {"2024-01-01": [("09:00", "12:00")]}}, "special_days"),
        (
            {"closed_days": [date(2024, 12, 24)], "special_days": {date(2024, 12, 24): [("09:00", "12:00")]}},
            r"special_days\[2024-12-24\]",
        ),
        ({"years": (2100, 1990)}, "years"),
        ({"years": (1800, 1990)}, "years"),
        ({"years": 2024}, "years"),
        ({"language": "xx"}, "language"),
        ({"language": 5}, "language"),
    ],
)
def test_r6_1_invalid_settings_raise_value_error_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"weekly": {0: [("09:00", "17:00")]}} | kwargs
    with pytest.raises(ValueError, match=f"^{field}"):
        SupportCalendar(**arguments)  # type: ignore[arg-type]


def test_daily_interval_display_and_times() -> None:
    night = DailyInterval(22 * 3600, 26 * 3600)
    assert str(night) == "22:00-02:00 (next day)" and night.crosses_midnight
    assert (night.start_time, night.end_time) == (time(22), time(2))
    assert str(DailyInterval(0, 86_400)) == "00:00-24:00" and not DailyInterval(0, 86_400).crosses_midnight
    assert str(DailyInterval(9 * 3600 + 30, 10 * 3600)) == "09:00:30-10:00"
    with pytest.raises(ValueError):
        DailyInterval(10, 10)
    assert SupportCalendar.vendor_default().hours_on(date(2024, 6, 7)) == (DailyInterval(9 * 3600, 12 * 3600),)
    assert SupportCalendar.vendor_default().hours_on(date(2024, 12, 25)) == ()


def test_r6_2_package_has_no_django_import() -> None:
    """R6.2: a pure Python module. Checked statically: the parent package may import Django."""
    package = pathlib.Path(__import__("partnerdesk.hours").hours.__file__).parent
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "django" or n.startswith("django.") for n in names), source
