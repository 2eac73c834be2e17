"""Build (once) a PostgreSQL benchmark database with N tickets, for bench_api.py and bench_pages.py.

Run:  .venv/bin/python bench/bench_data.py DATABASE_URL TICKETS [--rebuild]

Reuses bench_tickets.py's generator (200 partners, 20 end customers each, one first-level agent per
partner, one vendor agent; tickets made by PostgreSQL itself with INSERT ... SELECT generate_series, the
secondary indexes built after the load). The database name must contain "bench" or "speed"; data with at
least TICKETS tickets is reused.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_tickets as bt  # noqa: E402


def build(url: str, tickets: int, *, rebuild: bool = False, quiet: bool = False) -> None:
    """Create, migrate and fill the database unless it already holds the data; Django is set up after."""
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name and "speed" not in name:
        raise bt.BenchError(f"database {name!r}: use one of its own whose name contains 'bench' or 'speed'")
    bt.ensure_database(url)
    from django.conf import settings

    if settings.configured:  # a second size in the same run: point the connection at its database
        from django.db import connection

        connection.close()
        connection.settings_dict["NAME"] = name
        settings.DATABASES["default"]["NAME"] = name
    else:
        bt.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    bt.restore_indexes()
    bt.TICKETS = tickets
    counts = bt.bench_counts()
    if counts["other partners"]:
        raise bt.BenchError(f"{name} holds partners that are not bench data")
    complete = (
        counts["partners"] == bt.PARTNERS
        and counts["users"] == bt.PARTNERS + 1
        and tickets <= counts["tickets"] <= tickets * 1.2
    )
    if rebuild or not complete:
        print(f"{name}: generating {tickets:,} tickets (found {counts}) ...", flush=True)
        for step, seconds in bt.generate().items():
            print(f"  {step:<55} {seconds:7.1f} s", flush=True)
    elif not quiet:
        print(f"{name}: reusing {counts['tickets']:,} tickets")


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__)
        return 2
    began = time.perf_counter()
    try:
        build(args[0], int(args[1]), rebuild="--rebuild" in sys.argv)
    except bt.BenchError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"done in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
