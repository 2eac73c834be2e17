"""R7.5, R13.2: deferred subscribers hear each committed event exactly once, after the change, from the worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from partnerdesk.outbox import events
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import DeferredEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Any:
    calls: list[events.Event] = []

    def listener(event: events.Event) -> None:
        calls.append(event)

    events.subscribe(listener, names=["test.happened"], deferred=True)
    yield calls
    events.unsubscribe(listener)


def _publish(**data: Any) -> None:
    with transaction.atomic():
        events.publish("test.happened", partner_id=7, actor_id=3, data=data)


def test_r13_2_a_committed_event_is_stored_once_and_heard_once_by_the_worker(heard: Any) -> None:
    _publish(n=1)
    assert heard == [] and DeferredEvent.objects.count() == 1  # the change paid one row, nothing more
    deliver_due()  # the worker's round hands stored events to their subscribers first
    assert [(e.name, e.partner_id, e.actor_id, dict(e.data)) for e in heard] == [("test.happened", 7, 3, {"n": 1})]
    assert DeferredEvent.objects.count() == 0
    assert events.run_deferred() == 0 and len(heard) == 1


def test_r13_2_a_rolled_back_change_leaves_no_event(heard: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("test.happened", partner_id=7, data={})
        raise RuntimeError("the change fails")
    assert DeferredEvent.objects.count() == 0 and events.run_deferred() == 0 and heard == []


def test_r13_2_events_nobody_defers_cost_no_row() -> None:
    _publish()
    with transaction.atomic():
        events.publish("test.nobody_listens", partner_id=None, data={})
    assert DeferredEvent.objects.filter(name="test.nobody_listens").count() == 0


def test_r13_2_a_failing_subscriber_keeps_the_event_for_a_later_round(heard: Any) -> None:
    from django.core.mail import EmailMessage

    from partnerdesk.outbox.models import OutboxMessage
    from partnerdesk.outbox.services import enqueue

    fail = {"now": True}

    def writer(event: events.Event) -> None:  # writes its mail, then (the first time) the next one breaks
        enqueue(kind="test", message=EmailMessage("s", "b", to=["x@a.example"], headers={"Message-ID": "<m1@t>"}))

    def flaky(event: events.Event) -> None:
        if fail["now"]:
            raise ValueError("renderer broke")

    events.subscribe(writer, names=["test.happened"], deferred=True)
    events.subscribe(flaky, names=["test.happened"], deferred=True)
    try:
        _publish(n=2)
        assert events.run_deferred() == 0
        row = DeferredEvent.objects.get()
        assert row.attempts == 1 and "renderer broke" in row.last_error and row.next_attempt_at > timezone.now()
        assert events.run_deferred() == 0  # not due yet
        fail["now"] = False
        assert events.run_deferred(now=timezone.now() + timedelta(minutes=5)) == 1
        assert DeferredEvent.objects.count() == 0
        # The first attempt's writes were rolled back with its failure: one mail, not two.
        assert OutboxMessage.objects.filter(kind="test").count() == 1
    finally:
        events.unsubscribe(flaky)
        events.unsubscribe(writer)


def test_r13_2_events_are_heard_in_the_order_they_happened(heard: Any) -> None:
    for n in range(5):
        _publish(n=n)
    events.run_deferred()
    assert [e.data["n"] for e in heard] == [0, 1, 2, 3, 4]
