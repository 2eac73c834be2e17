"""Benchmark of the support-hours engine against businesstimedelta (SPEC R6.2 "fast").

Run:  PYTHONPATH=src python bench/bench_hours.py  [--ops N] [--peer-ops N] [--seed S]

Times ``SupportCalendar.add`` and ``.between`` on random spans of up to two years
(seeded RNG) on the vendor schedule (Mon-Thu 09:00-17:00, Fri 09:00-12:00,
Europe/Berlin, German nationwide holidays) and, on a small sample of the same inputs,
the PyPI package ``businesstimedelta`` configured with the same schedule and the same
holiday dates. Prints ops/s for both and the ratio, then checks that both give the same
answers on that sample. Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from partnerdesk.hours import SupportCalendar

BERLIN = ZoneInfo("Europe/Berlin")
SPAN = timedelta(days=730)  # "spans of up to two years"
FIRST = datetime(1991, 1, 1, tzinfo=UTC)
LAST_START = datetime(2098, 1, 1, tzinfo=UTC)
# businesstimedelta needs pytz, whose tables stop at 2037 (later DST is wrong there), so the
# peer's sample, and the agreement check on it, start before 2035.
PEER_LAST_START = datetime(2035, 1, 1, tzinfo=UTC)


def make_inputs(
    rng: random.Random, n: int, zone: ZoneInfo | None, last_start: datetime = LAST_START
) -> tuple[list[datetime], list[datetime], list[timedelta]]:
    """Whole-second instants (businesstimedelta drops microseconds) and spans up to two years."""
    width = int((last_start - FIRST).total_seconds())
    starts: list[datetime] = []
    ends: list[datetime] = []
    durations: list[timedelta] = []
    for _ in range(n):
        start = FIRST + timedelta(seconds=rng.randrange(width))
        if zone is not None:
            start = start.astimezone(zone)
        starts.append(start)
        ends.append(start + timedelta(seconds=rng.randrange(int(SPAN.total_seconds()))))
        # Two calendar years hold about 3,600 support hours on this schedule.
        durations.append(timedelta(seconds=rng.randrange(3_600 * 3_600)))
    return starts, ends, durations


def rate(fn: Callable[[], object], ops: int, repeat: int = 1) -> float:
    """Best of ``repeat`` runs, with the garbage collector off while timing (as timeit does)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            began = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - began)
        finally:
            gc.enable()
    return ops / best


def time_engine(
    cal: SupportCalendar, starts: list[datetime], ends: list[datetime], durations: list[timedelta]
) -> dict[str, float]:
    add, between = cal.add, cal.between
    pairs_add = list(zip(starts, durations, strict=True))
    pairs_between = list(zip(starts, ends, strict=True))
    return {
        "add": rate(lambda: [add(s, d) for s, d in pairs_add], len(pairs_add), repeat=3),
        "between": rate(lambda: [between(a, b) for a, b in pairs_between], len(pairs_between), repeat=3),
    }


def build_peer() -> Any:
    """businesstimedelta rules for the vendor schedule, or None when it is not installed."""
    try:
        import businesstimedelta
        import holidays
        import pytz
    except ImportError:
        return None
    tz = pytz.timezone("Europe/Berlin")
    # The peer gets a plain set of the same dates (its fastest holiday lookup).
    dates = set(holidays.country_holidays("DE", years=range(1990, 2101)).keys())
    return businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=datetime.min.time().replace(hour=9),
                end_time=datetime.min.time().replace(hour=17),
                working_days=[0, 1, 2, 3],
                tz=tz,
            ),
            businesstimedelta.WorkDayRule(
                start_time=datetime.min.time().replace(hour=9),
                end_time=datetime.min.time().replace(hour=12),
                working_days=[4],
                tz=tz,
            ),
            businesstimedelta.HolidayRule(dates, tz=tz),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=100_000, help="operations per engine measurement")
    parser.add_argument("--peer-ops", type=int, default=50, help="operations for businesstimedelta")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    cal = SupportCalendar.vendor_default()
    # Warm-up: build every year bucket once (what a long-running process has after a while).
    began = time.perf_counter()
    cal.between(datetime(1990, 1, 1, tzinfo=BERLIN), datetime(2100, 12, 31, tzinfo=BERLIN))
    warm = time.perf_counter() - began
    print(f"python {sys.version.split()[0]}; warm-up (build 111 year buckets): {warm * 1000:.0f} ms")

    results: dict[str, dict[str, float]] = {}
    for label, zone in (("UTC-aware input", None), ("Berlin-aware input", BERLIN)):
        starts, ends, durations = make_inputs(rng, args.ops, zone)
        results[label] = time_engine(cal, starts, ends, durations)

    peer = build_peer()
    peer_rates: dict[str, float] = {}
    agree: dict[str, tuple[int, int]] = {}
    if peer is None:
        print("businesstimedelta (or pytz) is not importable: showing the engine's figures only")
    else:
        import businesstimedelta

        starts, ends, durations = make_inputs(random.Random(args.seed + 1), args.peer_ops, None, PEER_LAST_START)
        peer_add: list[datetime] = []
        peer_between: list[timedelta] = []
        peer_rates["add"] = rate(
            lambda: peer_add.extend(
                s + businesstimedelta.BusinessTimeDelta(peer, timedelta=d)
                for s, d in zip(starts, durations, strict=True)
            ),
            args.peer_ops,
        )
        peer_rates["between"] = rate(
            lambda: peer_between.extend(peer.difference(a, b).timedelta for a, b in zip(starts, ends, strict=True)),
            args.peer_ops,
        )
        # Same semantics on these inputs: earliest instant for add (closing time, not next
        # opening), half-open intervals for between. Compared as instants.
        ours_add = [cal.add(s, d) for s, d in zip(starts, durations, strict=True)]
        ours_between = [cal.between(a, b) for a, b in zip(starts, ends, strict=True)]
        agree["add"] = (sum(x == y for x, y in zip(ours_add, peer_add, strict=True)), len(starts))
        agree["between"] = (sum(x == y for x, y in zip(ours_between, peer_between, strict=True)), len(starts))

    print()
    header = f"{'operation':<10} {'input':<20} {'engine ops/s':>14} {'businesstimedelta ops/s':>25} {'ratio':>10}"
    print(header)
    print("-" * len(header))
    for label, by_op in results.items():
        for op in ("add", "between"):
            ours = by_op[op]
            theirs = peer_rates.get(op)
            peer_text = f"{theirs:,.1f}" if theirs else "n/a"
            ratio = f"{ours / theirs:,.0f}x" if theirs else "n/a"
            print(f"{op:<10} {label:<20} {ours:>14,.0f} {peer_text:>25} {ratio:>10}")
    print()
    print(
        f"engine: best of 3 runs of {args.ops:,} ops per row, starts 1991-2097, after warm-up; businesstimedelta: "
        f"{args.peer_ops} ops, UTC-aware starts 1991-2034 (pytz), same schedule and holiday dates, same run."
    )
    for op, (same, total) in agree.items():
        print(f"agreement with businesstimedelta on {op}: {same}/{total} identical results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
