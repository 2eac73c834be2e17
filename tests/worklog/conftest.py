"""Worklog tests use the contracts helpers: contracts made through the services, escalated tickets."""

from tests.contracts.conftest import agent, l_contract, s_contract  # noqa: F401 - fixtures
