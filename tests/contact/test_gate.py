"""R9.3: every outbound path passes the one gate, checked at the moment of acting; R9.4: each attempt is logged.

The paths: mail from a ticket (sent for real to an SMTP server) and the interface the later channels use
(callback, web meeting, remote session: `authorize_contact` + `perform_contact`).
"""

from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.accounts.choices import Role
from partnerdesk.contact import services
from partnerdesk.contact.choices import AuditAction, Channel, RefusalReason
from partnerdesk.contact.gate import ContactRefused, authorize_contact, perform_contact
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message

from .conftest import expire

CHANNELS = [Channel.EMAIL, Channel.CALL, Channel.WEB_MEETING, Channel.REMOTE_MAINTENANCE]


class Path:
    """One outbound path: how it acts, and what "something left" means for it."""

    def __init__(self, cw: Any, channel: str, inbox: Any, capture: Any) -> None:
        self.cw, self.channel, self.inbox, self.capture = cw, channel, inbox, capture
        self.acts: list[int] = []

    def authorize(self, person: Any = None, user: Any = None) -> Any:
        return authorize_contact(
            acting_user=user or self.cw.agent,
            ticket=self.cw.ticket,
            contact_person=person or self.cw.person,
            channel=self.channel,
        )

    def act(self, permit: Any) -> Any:
        if self.channel == Channel.EMAIL:
            with self.capture(execute=True):
                mail = send_mail_to_end_customer(permit=permit, subject="Your VPN", body="Please restart the node.")
            deliver_due()  # the outbox worker's round
            return mail

        def schedule(moment: Any) -> Message:
            # Stands for the channel's own record (a callback, an invitation, a session).
            self.acts.append(moment.contact_person.pk)
            return Message.objects.create(
                ticket=moment.ticket, kind=MessageKind.VENDOR_NOTE, body=f"{self.channel} scheduled"
            )

        return perform_contact(permit=permit, channel=self.channel, act=schedule, describe=lambda m: {"record": m.pk})

    def attempt(self, person: Any = None) -> Any:
        return self.act(self.authorize(person))

    def left(self) -> int:
        """How many contacts actually happened on this path."""
        if self.channel == Channel.EMAIL:
            return len(self.inbox.envelopes)
        return len(self.acts)


@pytest.fixture(params=CHANNELS)
def path(request: Any, contact_world: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any) -> Path:
    return Path(contact_world, request.param, smtp_server, django_capture_on_commit_callbacks)


def _refusals(reason: str) -> Any:
    return AuditEntry.objects.filter(action=AuditAction.CONTACT_REFUSED, detail__reason=reason)


def _assert_refused(path: Path, reason: str, *, attempt: Any = None) -> ContactRefused:
    before = AuditEntry.objects.filter(action=AuditAction.CONTACT_REFUSED).count()
    with pytest.raises(ContactRefused) as refused:
        (attempt or path.attempt)()
    assert refused.value.reason == reason
    assert path.left() == 0, "nothing may leave"
    assert not EndCustomerMail.objects.exists()
    assert not Message.objects.filter(ticket=path.cw.ticket).exists()
    assert AuditEntry.objects.filter(action=AuditAction.CONTACT_REFUSED).count() == before + 1
    row = _refusals(reason).latest("seq")
    assert row.actor == path.cw.agent and row.ticket == path.cw.ticket and row.channel == path.channel
    return refused.value


def test_r9_3_refused_without_authorisation(path):
    refused = _assert_refused(path, RefusalReason.NO_AUTHORIZATION)
    assert "authorised" in str(refused) and "logged" in str(refused)
    assert "Hansen" not in str(refused) and "@" not in str(refused)


def test_r9_3_refused_after_expiry(path):
    expire(path.cw.grant(channels=[path.channel]))
    _assert_refused(path, RefusalReason.EXPIRED)


def test_r9_3_refused_after_revocation(path):
    authorization = path.cw.grant(channels=[path.channel])
    services.revoke_authorization(acting_user=path.cw.world.user(Role.PARTNER_ADMIN), authorization=authorization)
    _assert_refused(path, RefusalReason.REVOKED)


def test_r9_3_refused_for_a_person_not_covered(path):
    path.cw.grant(channels=[path.channel], contact_persons=[path.cw.person])
    _assert_refused(path, RefusalReason.PERSON_NOT_COVERED, attempt=lambda: path.attempt(path.cw.colleague))


def test_r9_3_refused_for_a_channel_not_covered(path):
    other = next(c for c in CHANNELS if c != path.channel)
    path.cw.grant(channels=[other])
    _assert_refused(path, RefusalReason.CHANNEL_NOT_COVERED)


def test_r9_3_allowed_within_scope_and_logged(path):
    authorization = path.cw.grant(channels=[path.channel])
    path.attempt()
    assert path.left() == 1
    made = AuditEntry.objects.get(action=AuditAction.CONTACT_MADE)
    assert made.authorization == authorization and made.channel == path.channel
    assert made.actor == path.cw.agent and made.detail["contact_person"] == path.cw.person.pk


def test_r9_3_all_tickets_authorisation_covers_every_ticket_of_the_end_customer(path):
    path.cw.grant(channels=[path.channel], ticket=None)
    path.attempt()
    assert path.left() == 1


def test_r9_3_revoked_between_check_and_act_is_refused_at_the_moment_of_acting(path):
    authorization = path.cw.grant(channels=[path.channel])
    permit = path.authorize()
    services.revoke_authorization(acting_user=path.cw.world.user(Role.L1_AGENT), authorization=authorization)
    _assert_refused(path, RefusalReason.REVOKED, attempt=lambda: path.act(permit))
    assert _refusals(RefusalReason.REVOKED).get().detail["stage"] == "act"


def test_r9_3_expired_between_check_and_act_is_refused_at_the_moment_of_acting(path):
    authorization = path.cw.grant(channels=[path.channel])
    permit = path.authorize()
    expire(authorization)
    _assert_refused(path, RefusalReason.EXPIRED, attempt=lambda: path.act(permit))


def test_r9_3_only_vendor_support_staff_pass_the_gate(path):
    path.cw.grant(channels=[path.channel])
    for role in (Role.SALES, Role.BILLING):
        with pytest.raises(ContactRefused) as refused:
            path.authorize(user=path.cw.world.user(role))
        assert refused.value.reason == RefusalReason.NOT_VENDOR_STAFF
    with pytest.raises(ContactRefused):
        path.authorize(user=path.cw.world.user(Role.L1_AGENT))
    assert path.left() == 0
    assert _refusals(RefusalReason.NOT_VENDOR_STAFF).count() == 3


def test_r9_3_a_permit_for_another_channel_is_refused(contact_world, smtp_server, django_capture_on_commit_callbacks):
    contact_world.grant(channels=[Channel.CALL])
    permit = authorize_contact(
        acting_user=contact_world.agent,
        ticket=contact_world.ticket,
        contact_person=contact_world.person,
        channel=Channel.CALL,
    )
    with pytest.raises(ContactRefused) as refused, django_capture_on_commit_callbacks(execute=True):
        send_mail_to_end_customer(permit=permit, subject="Hi", body="Hello")
    assert refused.value.reason == RefusalReason.CHANNEL_NOT_COVERED
    assert smtp_server.envelopes == []


def test_r9_3_ticket_the_vendor_cannot_see_is_refused(contact_world):
    from .conftest import first_level_ticket

    ticket = first_level_ticket(contact_world.world.partner_a, contact_world.world.customer_a)
    contact_world.grant(ticket=None, channels=[Channel.CALL])
    with pytest.raises(ContactRefused) as refused:
        authorize_contact(
            acting_user=contact_world.agent, ticket=ticket, contact_person=contact_world.person, channel=Channel.CALL
        )
    assert refused.value.reason == RefusalReason.TICKET_NOT_VISIBLE


def test_r9_3_a_deleted_person_drops_out_of_the_authorisation(contact_world):
    """Fail closed: the partner removes a person; the gate no longer lets anyone reach them."""
    contact_world.grant(channels=[Channel.CALL], contact_persons=[contact_world.colleague])
    permit = authorize_contact(
        acting_user=contact_world.agent,
        ticket=contact_world.ticket,
        contact_person=contact_world.colleague,
        channel=Channel.CALL,
    )
    contact_world.colleague.delete()
    with pytest.raises(ContactRefused):
        perform_contact(permit=permit, channel=Channel.CALL, act=lambda moment: None)
