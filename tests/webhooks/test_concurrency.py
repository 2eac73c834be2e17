"""Two workers at once on PostgreSQL (R12.3): SKIP LOCKED hands each due delivery to exactly one of them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from partnerdesk.accounts.choices import Role
from partnerdesk.outbox import events
from partnerdesk.webhooks.delivery import deliver_due
from partnerdesk.webhooks.models import Delivery

from .conftest import endpoint_for

DELIVERIES = 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r12_3_parallel_workers_send_every_delivery_once(world, receiver):
    if connection.vendor != "postgresql":
        pytest.skip(f"row locks need PostgreSQL (this run uses {connection.vendor})")
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    for number in range(DELIVERIES):
        with transaction.atomic():
            events.publish(
                events.CONTRACT_QUOTA_THRESHOLD,
                partner_id=world.partner_a.pk,
                data={"contract": number, "term": 0, "threshold": 75},
            )
    receiver.delay = 0.02
    handled: list[list[int]] = [[], []]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            while True:
                report = deliver_due(limit=3)
                handled[index].extend(report.delivered)
                if not report.handled:
                    return
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert handled[0] and handled[1], "both workers took part"
    assert not set(handled[0]) & set(handled[1])
    assert len(receiver.received) == DELIVERIES
    assert len({r.headers["webhook-id"] for r in receiver.received}) == DELIVERIES
    assert all(r.verified is not None for r in receiver.received)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}
