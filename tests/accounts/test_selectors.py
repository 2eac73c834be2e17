"""Who sees which partners, end customers, contact persons, users and security-log rows (R1.1, R1.2, R1.3,
R1.5, R9.1)."""

from __future__ import annotations

import pytest

from partnerdesk.accounts import selectors
from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import SecurityLog
from tests.visibility import disabled

PARTNER_ROLES = (Role.PARTNER_ADMIN, Role.L1_AGENT)
VENDOR_ROLES = (Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER)


def test_r1_1_partners_visible_to_a_partner_user_is_its_own_partner(world):
    for role in PARTNER_ROLES:
        assert set(selectors.partners_visible_to(world.user(role))) == {world.partner_a}, role
        assert set(selectors.partners_visible_to(world.outsider[role])) == {world.partner_b}, role


def test_r1_2_partners_visible_to_the_vendor_are_all(world):
    for role in VENDOR_ROLES:
        assert set(selectors.partners_visible_to(world.user(role))) == {world.partner_a, world.partner_b}, role


def test_r1_3_end_customers_visible_to_partner_its_own_vendor_all_as_pseudonyms(world):
    for role in PARTNER_ROLES:
        assert set(selectors.end_customers_visible_to(world.user(role))) == {world.customer_a}, role
        assert set(selectors.end_customers_visible_to(world.outsider[role])) == {world.customer_b}, role
    for role in VENDOR_ROLES:
        seen = set(selectors.end_customers_visible_to(world.user(role)))
        assert seen == {world.customer_a, world.customer_b}, role


def test_r9_1_contact_persons_visible_to_partner_its_own_vendor_none(world):
    for role in PARTNER_ROLES:
        assert set(selectors.contact_persons_visible_to(world.user(role))) == {world.contact_a}, role
        assert set(selectors.contact_persons_visible_to(world.outsider[role])) == {world.contact_b}, role
    for role in VENDOR_ROLES:
        assert not selectors.contact_persons_visible_to(world.user(role)).exists(), role


def test_r1_1_users_visible_to_partner_admin_its_colleagues_l1_itself_vendor_admin_all(world):
    partner_a_users = {world.user(Role.PARTNER_ADMIN), world.user(Role.L1_AGENT)}
    assert set(selectors.users_visible_to(world.user(Role.PARTNER_ADMIN))) == partner_a_users
    assert set(selectors.users_visible_to(world.user(Role.L1_AGENT))) == {world.user(Role.L1_AGENT)}
    assert not set(selectors.users_visible_to(world.outsider[Role.PARTNER_ADMIN])) & partner_a_users
    everyone = set(world.users.values()) | set(world.outsider.values())
    assert set(selectors.users_visible_to(world.user(Role.VENDOR_ADMIN))) == everyone
    vendor_staff = {world.user(role) for role in VENDOR_ROLES}
    for role in VENDOR_ROLES[1:]:
        assert set(selectors.users_visible_to(world.user(role))) == vendor_staff, role


def test_r1_5_security_log_visible_to_admins_their_side_others_their_own_rows(world):
    rows = {
        key: SecurityLog.objects.create(event=SecurityEvent.ACCESS_REFUSED, user=user, username=user.email)
        for key, user in {
            "l1": world.user(Role.L1_AGENT),
            "admin_a": world.user(Role.PARTNER_ADMIN),
            "outsider": world.outsider[Role.L1_AGENT],
            "l2": world.user(Role.L2_AGENT),
        }.items()
    }
    assert set(selectors.security_log_visible_to(world.user(Role.VENDOR_ADMIN))) == set(rows.values())
    assert set(selectors.security_log_visible_to(world.user(Role.PARTNER_ADMIN))) == {rows["l1"], rows["admin_a"]}
    assert set(selectors.security_log_visible_to(world.user(Role.L1_AGENT))) == {rows["l1"]}
    assert set(selectors.security_log_visible_to(world.outsider[Role.PARTNER_ADMIN])) == {rows["outsider"]}
    assert set(selectors.security_log_visible_to(world.user(Role.L2_AGENT))) == {rows["l2"]}


@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.PARTNER_ADMIN, Role.L2_AGENT, Role.VENDOR_ADMIN])
def test_r1_5_accounts_selectors_show_a_disabled_user_nothing(world, role):
    user = disabled(world.user(role))
    SecurityLog.objects.create(event=SecurityEvent.LOGIN_FAILED, user=user, username=user.email)
    assert not selectors.partners_visible_to(user).exists()
    assert not selectors.end_customers_visible_to(user).exists()
    assert not selectors.contact_persons_visible_to(user).exists()
    assert not selectors.users_visible_to(user).exists()
    assert not selectors.security_log_visible_to(user).exists()
