"""Rolling back a service call's transaction (ARCHITECTURE convention 2): see tests/test_side_effects_rollback.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction


class Rollback(Exception):
    """Raised inside the transaction after the service call."""


def roll_back(capture: Any, action: Callable[[], Any]) -> list[Any]:
    """Run the action in a transaction that then raises; returns the on_commit callbacks that survived
    (``capture`` is pytest-django's django_capture_on_commit_callbacks, executing what commits)."""
    with capture(execute=True) as callbacks:
        with pytest.raises(Rollback), transaction.atomic():
            action()
            raise Rollback
    return list(callbacks)


def commit(capture: Any, action: Callable[[], Any]) -> Any:
    """Run the action and let its transaction commit (the on_commit callbacks run)."""
    with capture(execute=True):
        return action()
