"""The vendor's overview and queue page at 1,000 and at 1,000,000 tickets: their cost must not grow with the
data (speed issue; R6.3, R12.2).

Run:  .venv/bin/python bench/bench_pages.py [--tickets 1000,1000000] [--repeat 60]

Databases as in bench_api.py (pd_speed_1k, pd_speed_1m, built once by bench_data.py and reused). The pages
are asked for through Django's test Client (the real URLconf, middleware and templates; a logged-in vendor
second-level agent, no network), after a warm-up; the figure is the median server time of each page.
Prints both sizes side by side and their ratio (target: under 1.5); the statements of each page are pinned
by tests/web/test_query_counts.py.
Not a test: exit code 0 whatever the figures are, 2 on errors.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_data  # noqa: E402
from bench_api import PREFIX, SIZES  # noqa: E402

PAGES = {
    "vendor overview (/)": "/",
    "vendor queue page (/tickets/)": "/tickets/",
    "vendor queue, page 3": "/tickets/?page=3",
    "waiting for partners (/tickets/?state=...)": "/tickets/?state=waiting_for_partner",
}


def measure(repeat: int) -> dict[str, float]:
    """Median milliseconds of each page, as the vendor's L2 agent."""
    from django.test import Client

    from partnerdesk.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=f"l2@{bench_data.bt.EMAIL_DOMAIN}"))
    results = {}
    for label, url in PAGES.items():
        for _ in range(5):
            assert client.get(url).status_code == 200, url
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        results[label] = statistics.median(samples)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", default="1000,1000000")
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    sizes = [int(n) for n in args.tickets.split(",")]
    by_size = {}
    try:
        for tickets in sizes:
            bench_data.build(PREFIX + SIZES.get(tickets, str(tickets)), tickets)
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE tickets_ticket")
            by_size[tickets] = measure(args.repeat)
    except bench_data.bt.BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    small, large = sizes[0], sizes[-1]
    print(f"\nmedian server time of {args.repeat} requests (Django test Client, PostgreSQL)")
    print(f"{'page':<44} {small:>10,} tickets {large:>10,} tickets  ratio")
    for label in PAGES:
        a, b = by_size[small][label], by_size[large][label]
        print(f"{label:<44} {a:>15.1f} ms {b:>15.1f} ms  {b / a:5.2f}")
    print("\ntarget: vendor overview and queue page ratio under 1.5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
