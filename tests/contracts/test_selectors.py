"""Who sees which plans and contracts (R1.1, R1.2, R1.5, R2.2)."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.contracts.selectors import contracts_visible_to, plans_visible_to
from tests.visibility import disabled

PARTNER_ROLES = (Role.PARTNER_ADMIN, Role.L1_AGENT)
VENDOR_ROLES = (Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER)


def test_r1_1_plans_visible_to_partner_public_plans_and_its_own_individual_plan(full_world):
    w = full_world
    for role in PARTNER_ROLES:
        seen = set(plans_visible_to(w.user(role)))
        assert w.contracts_plan_a in seen and w.contracts_plan_b not in seen, role
        assert {p.code for p in seen} >= {"L", "M", "S"}, role
        assert w.contracts_plan_a not in set(plans_visible_to(w.outsider[role])), role


def test_r1_2_plans_visible_to_the_vendor_are_all(full_world):
    w = full_world
    for role in VENDOR_ROLES:
        assert {w.contracts_plan_a, w.contracts_plan_b} <= set(plans_visible_to(w.user(role))), role


def test_r1_1_contracts_visible_to_partner_its_own_vendor_all(full_world):
    w = full_world
    for role in PARTNER_ROLES:
        assert set(contracts_visible_to(w.user(role))) == {w.contracts_contract_a}, role
        assert set(contracts_visible_to(w.outsider[role])) == {w.contracts_contract_b}, role
    for role in VENDOR_ROLES:
        assert set(contracts_visible_to(w.user(role))) == {w.contracts_contract_a, w.contracts_contract_b}, role


@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.PARTNER_ADMIN, Role.SALES, Role.VENDOR_ADMIN])
def test_r1_5_plans_and_contracts_visible_to_a_disabled_user_are_none(full_world, role):
    user = disabled(full_world.user(role))
    assert not plans_visible_to(user).exists()
    assert not contracts_visible_to(user).exists()
