"""Who sees which authorisations, audit rows and end-customer mails (R1.1, R1.2, R1.5, R9.1, R9.4)."""

from __future__ import annotations

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.contact import selectors
from partnerdesk.contact.choices import AuditAction
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from tests.visibility import disabled

PARTNER_ROLES = (Role.PARTNER_ADMIN, Role.L1_AGENT)
SUPPORT_ROLES = (Role.VENDOR_ADMIN, Role.L2_AGENT, Role.L3_ENGINEER)  # may contact end customers (CONTACT_ROLES)
OTHER_VENDOR_ROLES = (Role.SALES, Role.BILLING)


@pytest.fixture
def cw(full_world):
    """Ticket A also has an outbound and an inbound mail with its end customer."""
    w = full_world
    ticket = w.contact_ticket_a
    for direction, status in (
        (EndCustomerMail.Direction.OUTBOUND, "sent"),
        (EndCustomerMail.Direction.INBOUND, "received"),
    ):
        mail = EndCustomerMail.objects.create(
            ticket=ticket,
            direction=direction,
            contact_person=w.contact_a,
            message_id=f"<{direction}@a.example>",
            from_address="x@a.example",
            to_address="y@a.example",
            subject="Hello",
            body="Text",
            status=status,
        )
        setattr(w, f"mail_{direction}", mail)
    return w


def test_r9_2_authorizations_visible_to_partner_its_own_not_the_outsiders(cw):
    for role in PARTNER_ROLES:
        assert set(selectors.authorizations_visible_to(cw.user(role))) == {
            cw.contact_authorization_a,
            cw.contact_authorization_first_level_a,
        }, role
        assert set(selectors.authorizations_visible_to(cw.outsider[role])) == {cw.contact_authorization_b}, role


def test_r1_2_authorizations_visible_to_vendor_support_for_escalated_tickets_other_vendor_roles_none(cw):
    for role in SUPPORT_ROLES:
        assert set(selectors.authorizations_visible_to(cw.user(role))) == {
            cw.contact_authorization_a,
            cw.contact_authorization_b,
        }, role
    for role in OTHER_VENDOR_ROLES:
        assert not selectors.authorizations_visible_to(cw.user(role)).exists(), role


def test_r9_4_audit_entries_visible_to_partner_its_own_vendor_admin_all_other_vendor_roles_none(cw):
    own = set(AuditEntry.objects.filter(partner=cw.partner_a))
    foreign = set(AuditEntry.objects.filter(partner=cw.partner_b))
    assert own and foreign
    for role in PARTNER_ROLES:
        assert set(selectors.audit_entries_visible_to(cw.user(role))) == own, role
        assert set(selectors.audit_entries_visible_to(cw.outsider[role])) == foreign, role
    assert set(selectors.audit_entries_visible_to(cw.user(Role.VENDOR_ADMIN))) == own | foreign
    for role in (*OTHER_VENDOR_ROLES, Role.L2_AGENT, Role.L3_ENGINEER):
        assert not selectors.audit_entries_visible_to(cw.user(role)).exists(), role
    assert {e.action for e in own} >= {AuditAction.AUTHORIZATION_GRANTED}


def test_r9_1_end_customer_mails_visible_to_partner_all_vendor_support_outbound_only_outsider_none(cw):
    ticket = cw.contact_ticket_a
    both = {cw.mail_out, cw.mail_in}
    for role in PARTNER_ROLES:
        assert set(selectors.end_customer_mails_visible_to(cw.user(role), ticket)) == both, role
        assert not selectors.end_customer_mails_visible_to(cw.outsider[role], ticket).exists(), role
    for role in SUPPORT_ROLES:
        assert set(selectors.end_customer_mails_visible_to(cw.user(role), ticket)) == {cw.mail_out}, role
    for role in OTHER_VENDOR_ROLES:
        assert not selectors.end_customer_mails_visible_to(cw.user(role), ticket).exists(), role


@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.PARTNER_ADMIN, Role.L2_AGENT, Role.VENDOR_ADMIN])
def test_r1_5_contact_selectors_show_a_disabled_user_nothing(cw, role):
    user = disabled(cw.user(role))
    assert not selectors.authorizations_visible_to(user).exists()
    assert not selectors.audit_entries_visible_to(user).exists()
    assert not selectors.end_customer_mails_visible_to(user, cw.contact_ticket_a).exists()
