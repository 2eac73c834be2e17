"""Billing document fixtures: the rule sets compiled once per session."""

from __future__ import annotations

import pytest

from tests.billing.validation import Validator


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator()
