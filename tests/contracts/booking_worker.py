"""One OS process of the R4.8 concurrency test: books entries through the real service.

Run as ``python -m tests.contracts.booking_worker AGENT_ID TICKET_IDS COUNT SEED`` with DATABASE_URL
naming the test database. Prints "ready", waits for a line on stdin (so all workers start together),
books COUNT entries (one transaction each) and prints a JSON summary.
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import timedelta


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerdesk.settings")
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from partnerdesk.accounts.models import User
    from partnerdesk.tickets.models import Ticket
    from partnerdesk.worklog.services import book_time_entry

    agent_id, ticket_ids, count, seed = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    agent = User.objects.get(pk=agent_id)
    tickets = list(Ticket.objects.filter(pk__in=[int(t) for t in ticket_ids.split(",")]))
    rng = random.Random(seed)
    print("ready", flush=True)
    sys.stdin.readline()
    booked, refused, minutes_total = [], [], 0
    for _ in range(count):
        minutes = rng.randint(1, 120)
        try:
            entry = book_time_entry(
                acting_user=agent,
                ticket=rng.choice(tickets),
                started_at=timezone.now() - timedelta(minutes=rng.randint(60, 600)),
                minutes=minutes,
                activity="analysis",
            )
        except ValidationError as error:  # none expected; reported, not hidden
            refused.append(str(error))
            continue
        booked.append(entry.pk)
        minutes_total += minutes
    print(json.dumps({"booked": booked, "refused": refused, "minutes": minutes_total}), flush=True)


if __name__ == "__main__":
    main()
