"""A rolled-back transaction sends no mail to an end customer or a partner (ARCHITECTURE convention 2; R9.3, R9.5)."""

from __future__ import annotations

from typing import Any

from partnerdesk.accounts.choices import Role
from partnerdesk.contact import services as contact_services
from partnerdesk.contact.choices import Channel
from partnerdesk.contact.gate import authorize_contact
from partnerdesk.contact.models import EndCustomerMail
from partnerdesk.contact.outbound import send_mail_to_end_customer
from tests.rollback import commit, roll_back


def test_r9_3_mail_to_end_customer_rolled_back_is_neither_sent_nor_recorded(
    contact_world, mailoutbox, django_capture_on_commit_callbacks
):
    contact_world.grant()

    def send() -> Any:
        permit = authorize_contact(
            acting_user=contact_world.agent,
            ticket=contact_world.ticket,
            contact_person=contact_world.person,
            channel=Channel.EMAIL,
        )
        return send_mail_to_end_customer(permit=permit, subject="VPN", body="Bitte neu starten.")

    assert roll_back(django_capture_on_commit_callbacks, send) == []
    assert mailoutbox == [] and not EndCustomerMail.objects.exists()
    commit(django_capture_on_commit_callbacks, send)
    assert len(mailoutbox) == 1


def test_r9_5_end_customer_reply_rolled_back_tells_the_partner_nothing(
    contact_world, mailoutbox, django_capture_on_commit_callbacks
):
    def reply() -> Any:
        return contact_services.record_end_customer_reply(
            ticket=contact_world.ticket,
            from_address="Jens Hansen <jens@hansen.example>",
            subject="Re: VPN",
            body="Danke.",
            message_id="<rollback@hansen.example>",
        )

    assert roll_back(django_capture_on_commit_callbacks, reply) == []
    assert mailoutbox == [] and not EndCustomerMail.objects.exists()
    commit(django_capture_on_commit_callbacks, reply)
    assert [m.to for m in mailoutbox] == [[contact_world.world.user(Role.PARTNER_ADMIN).email]]
