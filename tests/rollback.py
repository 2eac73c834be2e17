"""Rolling back a service call's transaction (ARCHITECTURE conventions 2 and 19): see
tests/test_side_effects_rollback.py. Mail is an outbox row written in the transaction; both helpers run one
round of the outbox worker afterwards, so "nothing was sent" and "the mail was sent" are both real."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage


class Rollback(Exception):
    """Raised inside the transaction after the service call."""


def roll_back(capture: Any, action: Callable[[], Any]) -> list[Any]:
    """Run the action in a transaction that then raises; returns the on_commit callbacks that survived
    (``capture`` is pytest-django's django_capture_on_commit_callbacks, executing what commits). The
    rolled-back transaction leaves no outbox row, and the worker's round after it sends nothing."""
    before = OutboxMessage.objects.count()
    with capture(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            action()
            raise Rollback
    assert OutboxMessage.objects.count() == before, "a rolled-back transaction left an outbox row"
    deliver_due()
    return list(callbacks)


def commit(capture: Any, action: Callable[[], Any]) -> Any:
    """Run the action and let its transaction commit (the on_commit callbacks run), then one worker round."""
    with capture(execute=True):
        result = action()
    deliver_due()
    return result
