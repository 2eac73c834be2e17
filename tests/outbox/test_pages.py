"""The outbox pages (issue 11 item 1): vendor admins see every message's state and can retry; nobody else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import SecurityLog
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage

from .conftest import notice

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r1_4_vendor_admin_sees_states_next_attempt_and_reason_and_filters(world, mail_server):
    sent = notice(subject="all good")
    failed = notice(to="nobody@a.example", subject="to nobody")
    retrying = notice(to="busy@a.example", subject="busy one")
    deliver_due()
    client = _client(world.user(Role.VENDOR_ADMIN))
    page = client.get("/outbox/").content.decode()
    for row in (sent, failed, retrying):
        assert row.subject in page
    assert "no such user" in page and "450" in page
    retrying.refresh_from_db()
    assert timezone.localtime(retrying.next_attempt_at).strftime("%Y-%m-%d %H:%M") in page
    only_failed = client.get("/outbox/", {"state": "failed"}).content.decode()
    assert "to nobody" in only_failed and "all good" not in only_failed and "busy one" not in only_failed
    assert 'href="/outbox/"' in page  # in the menu


def test_r1_4_vendor_admin_reads_a_message_and_retries_a_failed_one(world, mail_server):
    failed = notice(to="nobody@a.example", subject="to nobody")
    deliver_due()
    client = _client(world.user(Role.VENDOR_ADMIN))
    page = client.get(f"/outbox/{failed.pk}/").content.decode()
    assert "Included time used." in page and failed.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "Retry now" in page
    response = client.post(f"/outbox/{failed.pk}/retry/", follow=True)
    assert "queued again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == "queued"
    deliver_due()  # refused again for good by the server
    failed.refresh_from_db()
    assert failed.state == "failed" and failed.attempts == 2


def test_r1_4_a_sent_message_cannot_be_retried(world, mail_server):
    row = notice()
    deliver_due()
    client = _client(world.user(Role.VENDOR_ADMIN))
    assert "Retry now" not in client.get(f"/outbox/{row.pk}/").content.decode()
    client.post(f"/outbox/{row.pk}/retry/")
    assert OutboxMessage.objects.get(pk=row.pk).state == "sent" and len(mail_server.envelopes) == 1


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.L1_AGENT, Role.L2_AGENT, Role.SALES])
def test_r1_1_only_the_vendor_admin_sees_the_outbox(world, role):
    row = notice()
    client = _client(world.user(role))
    assert client.get("/outbox/").status_code == 403
    assert client.get(f"/outbox/{row.pk}/").status_code == 404
    assert client.post(f"/outbox/{row.pk}/retry/").status_code == 404
    assert SecurityLog.objects.filter(event="access_refused", user=world.user(role)).exists()
    assert 'href="/outbox/"' not in client.get("/").content.decode()


def test_r9_1_the_outbox_page_hides_mail_to_end_customers(contact_world, mail_server):
    from partnerdesk.contact.choices import Channel
    from partnerdesk.contact.gate import authorize_contact
    from partnerdesk.contact.outbound import send_mail_to_end_customer

    contact_world.grant()
    permit = authorize_contact(
        acting_user=contact_world.agent,
        ticket=contact_world.ticket,
        contact_person=contact_world.person,
        channel=Channel.EMAIL,
    )
    send_mail_to_end_customer(permit=permit, subject="VPN for Jens Hansen", body="Hello Jens Hansen, call me.")
    row = OutboxMessage.objects.get(kind="end_customer_mail")
    assert row.confidential and row.reference.startswith("contact.EndCustomerMail:")
    client = _client(contact_world.world.user(Role.VENDOR_ADMIN))
    for url in ("/outbox/", f"/outbox/{row.pk}/"):
        page = client.get(url).content.decode()
        for secret in ("Jens", "Hansen", "jens@hansen.example"):
            assert secret not in page, (url, secret)
