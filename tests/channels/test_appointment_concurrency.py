"""PostgreSQL: parallel scheduling of one agent at one time (R6.4): exactly one wins.

Each attempt runs in its own thread and database connection and takes the agent's row lock before it looks at
the agent's time; the exclusion constraint (migration 0003) stands behind that check. The losers are refused
naming the winner's appointment; the agent holds exactly one appointment.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from partnerdesk.channels import appointments
from partnerdesk.channels.choices import AppointmentState
from partnerdesk.channels.models import Appointment

from .conftest import open_slots

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARALLEL = 6


def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; run with DATABASE_URL=postgres://...")


def _race(count: int, attempt) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = attempt(i)
        except Exception as exc:  # noqa: BLE001 - the outcome of each attempt is what the test looks at
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_r6_4_parallel_scheduling_of_one_agent_exactly_one_wins(desk):
    _needs_postgres()
    start, _end = open_slots(1)[0]
    callbacks = [
        appointments.request_callback(
            acting_user=desk.world.user("l1_agent"),
            ticket=desk.ticket,
            topic=f"Parallel {i}",
            phone="+49 431 1",
            wished_from=start,
            wished_until=start + (_end - start) * 4,
        )
        for i in range(PARALLEL)
    ]

    def attempt(i: int) -> Appointment:
        return appointments.schedule_callback(
            acting_user=desk.agent, callback=callbacks[i], agent=desk.agent, starts_at=start, minutes=30
        )

    results = _race(PARALLEL, attempt)
    won = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1, results
    assert len(refused) == PARALLEL - 1
    assert all(f"#{won[0].pk}" in str(r) for r in refused)  # each refusal names the winner
    assert Appointment.objects.filter(agent=desk.agent, state=AppointmentState.SCHEDULED).count() == 1


def test_r6_4_the_exclusion_constraint_refuses_overlap_written_past_the_lock(desk):
    """The database's own guard: an overlapping row written without the service's check is refused."""
    _needs_postgres()
    start, end = open_slots(1)[0]
    values = {
        "ticket": desk.ticket,
        "kind": "callback",
        "state": AppointmentState.SCHEDULED,
        "requested_by": desk.world.user("l1_agent"),
        "agent": desk.agent,
        "ends_at": end,
    }
    Appointment.objects.create(starts_at=start, **values)
    with pytest.raises(IntegrityError, match="appointment_agent_no_overlap"), transaction.atomic():
        Appointment.objects.create(starts_at=start + (end - start) / 2, **values)
    # Touching is not overlapping, and a cancelled one holds no time.
    Appointment.objects.create(starts_at=end, **{**values, "ends_at": end + (end - start)})
    Appointment.objects.create(starts_at=start, **{**values, "state": AppointmentState.CANCELLED})
