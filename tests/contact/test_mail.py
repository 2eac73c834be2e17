"""R9.3, R9.6: the vendor's mail to an end customer, sent for real to an SMTP server (aiosmtpd)."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import SecurityLog
from partnerdesk.api.models import IdempotencyRecord
from partnerdesk.contact import services
from partnerdesk.contact.choices import AppearAs, AuditAction, Channel, RefusalReason
from partnerdesk.contact.gate import authorize_contact
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message

from .conftest import free_port

VENDOR_MARKERS = ("tuxguard", "groupios")
BODY = "Hello Jens Hansen,\nplease call me back at +49 431 5550123 or write to jens@hansen.example.\nThanks"


def _send(cw, capture, *, body=BODY, execute=True):
    """Write the mail (the request's part); with `execute`, one round of the outbox worker sends it."""
    permit = authorize_contact(acting_user=cw.agent, ticket=cw.ticket, contact_person=cw.person, channel=Channel.EMAIL)
    with capture(execute=True) as callbacks:
        mail = send_mail_to_end_customer(permit=permit, subject="Your VPN tunnel", body=body)
    if execute:
        deliver_due()
    return mail, callbacks


def test_r9_6_white_label_mail_carries_only_the_partners_brand(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    contact_world.grant(appear_as=AppearAs.PARTNER)
    mail, _ = _send(contact_world, django_capture_on_commit_callbacks)

    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == "support@nordlicht-it.example"
    assert envelope.rcpt_tos == ["jens@hansen.example"]
    (message,) = smtp_server.messages
    assert message["From"] == "Nordlicht IT Support <support@nordlicht-it.example>"
    assert message["Reply-To"] == "support@nordlicht-it.example"
    assert message["Message-ID"].endswith("@nordlicht-it.example>")
    assert message["Subject"] == "Your VPN tunnel"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Jens Hansen," in text and "please call me back" in text
    assert "Mit freundlichen Grüßen" in text  # the brand's language: German
    assert "Nordlicht IT GmbH · Hafenstraße 1" in text
    assert "#005f73" in html and 'src="cid:brand-logo"' in html
    logo = next(part for part in message.walk() if part.get_content_type() == "image/png")
    assert logo["Content-ID"] == "<brand-logo>"
    raw = smtp_server.raw[0].lower()
    for marker in VENDOR_MARKERS:
        assert marker not in raw, f"the vendor's {marker!r} leaked into a white-label mail"

    mail.refresh_from_db()
    assert mail.status == EndCustomerMail.Status.SENT and mail.delivered_at is not None
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        AuditAction.AUTHORIZATION_GRANTED,
        AuditAction.CONTACT_MADE,
        AuditAction.MAIL_DELIVERED,
    ]


def test_r9_1_the_ticket_keeps_the_mail_with_contact_data_masked(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    contact_world.grant()
    mail, _ = _send(contact_world, django_capture_on_commit_callbacks)
    message = Message.objects.get(ticket=contact_world.ticket)
    assert message.kind == MessageKind.END_CUSTOMER and message.shared_with_vendor
    assert message.author == contact_world.agent
    for secret in ("Jens", "Hansen", "5550123", "jens@hansen.example"):
        assert secret not in message.body
    assert "[name]" in message.body and "[phone]" in message.body and "[e-mail]" in message.body
    # The partner's own record keeps everything.
    assert mail.body == BODY and "jens@hansen.example" in mail.to_address


def test_r9_6_appear_as_vendor_sends_from_the_vendor(contact_world, smtp_server, django_capture_on_commit_callbacks):
    contact_world.grant(appear_as=AppearAs.VENDOR)
    _send(contact_world, django_capture_on_commit_callbacks)
    (message,) = smtp_server.messages
    assert message["From"] == "TUXGUARD Support <support@groupios.com>"
    assert "Nordlicht" not in smtp_server.raw[0]


def test_r9_3_revoked_after_commit_is_not_delivered(contact_world, smtp_server, django_capture_on_commit_callbacks):
    authorization = contact_world.grant()
    mail, callbacks = _send(contact_world, django_capture_on_commit_callbacks, execute=False)
    services.revoke_authorization(acting_user=contact_world.world.user(Role.L1_AGENT), authorization=authorization)
    deliver_due()  # the worker's pre-send check sees the revocation
    mail.refresh_from_db()
    assert mail.status == EndCustomerMail.Status.REFUSED
    assert smtp_server.envelopes == []
    refused = AuditEntry.objects.get(action=AuditAction.CONTACT_REFUSED)
    assert refused.detail["stage"] == "delivery" and refused.detail["reason"] == RefusalReason.REVOKED


def test_r9_3_a_down_mail_server_fails_the_delivery_not_the_request(contact_world, django_capture_on_commit_callbacks):
    contact_world.grant()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_TIMEOUT=2,
        PARTNERDESK_OUTBOX_MAX_ATTEMPTS=2,
    ):
        mail, _ = _send(contact_world, django_capture_on_commit_callbacks)
        mail.refresh_from_db()
        assert mail.status == EndCustomerMail.Status.QUEUED  # the outbox tries again later
        assert OutboxMessage.objects.get(reference=f"contact.EndCustomerMail:{mail.pk}").state == "retrying"
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        deliver_due()  # the last attempt
    mail.refresh_from_db()
    assert mail.status == EndCustomerMail.Status.FAILED
    failed = AuditEntry.objects.get(action=AuditAction.MAIL_NOT_DELIVERED)
    assert failed.detail["error"] and "@" not in str(failed.detail)
    assert deliver_due().handled == 0  # a failed mail is not sent again by itself
    assert EndCustomerMail.objects.get(pk=mail.pk).status == EndCustomerMail.Status.FAILED


def test_r9_3_api_sends_within_an_authorisation(contact_world, api_as, smtp_server, django_capture_on_commit_callbacks):
    contact_world.grant()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(Role.L2_AGENT).post(
            f"tickets/{contact_world.ticket.pk}/end-customer-mails",
            {"contact_person_id": contact_world.person.pk, "subject": "VPN", "body": "Please restart."},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["contact_person_id"] == contact_world.person.pk
    assert "hansen" not in response.content.decode().lower()
    assert smtp_server.envelopes == []  # nothing is sent from a request
    deliver_due()
    assert len(smtp_server.envelopes) == 1


def test_r9_3_api_refuses_without_authorisation_clearly(contact_world, api_as, smtp_server):
    response = api_as(Role.L2_AGENT).post(
        f"tickets/{contact_world.ticket.pk}/end-customer-mails",
        {"contact_person_id": contact_world.person.pk, "subject": "VPN", "body": "Please restart."},
    )
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "not authorised" in detail and "Nothing was sent" in detail
    assert "Hansen" not in detail
    assert smtp_server.envelopes == [] and not EndCustomerMail.objects.exists()
    assert AuditEntry.objects.get(action=AuditAction.CONTACT_REFUSED).detail["reason"] == "no_authorization"
    assert SecurityLog.objects.filter(event="access_refused").exists()


def test_r9_3_api_person_of_another_end_customer_is_not_found(contact_world, api_as):
    response = api_as(Role.L2_AGENT).post(
        f"tickets/{contact_world.ticket.pk}/end-customer-mails",
        {"contact_person_id": contact_world.world.contact_b.pk, "subject": "VPN", "body": "x"},
    )
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_r9_3_the_refusal_is_logged_even_inside_an_idempotent_request(world, api_as, smtp_server):
    """The Idempotency-Key middleware wraps the request in a transaction; the refusal row still commits."""
    from .conftest import ContactWorld, escalated_ticket, install_vendor, white_label

    install_vendor()
    cw = ContactWorld(
        world,
        escalated_ticket(world.partner_a, world.customer_a),
        world.contact_a,
        world.contact_b,
        white_label(world.partner_a),
    )
    response = api_as(Role.L2_AGENT).post(
        f"tickets/{cw.ticket.pk}/end-customer-mails",
        {"contact_person_id": cw.person.pk, "subject": "VPN", "body": "x"},
        **{"Idempotency-Key": "k-1"},
    )
    assert response.status_code == 403
    assert IdempotencyRecord.objects.get(key="k-1").status_code == 403  # the middleware's transaction committed
    assert AuditEntry.objects.filter(action=AuditAction.CONTACT_REFUSED).count() == 1
    assert smtp_server.envelopes == []


def test_r9_3_the_refusal_speaks_german_too(contact_world, api_as):
    response = api_as(Role.L2_AGENT).post(
        f"tickets/{contact_world.ticket.pk}/end-customer-mails",
        {"contact_person_id": contact_world.person.pk, "subject": "VPN", "body": "x"},
        **{"Accept-Language": "de"},
    )
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "Der Partner hat den Kontakt mit diesem Endkunden nicht autorisiert." in detail
    assert "Es wurde nichts gesendet" in detail


def test_r9_4_a_mail_that_left_keeps_its_status_and_audit_row_when_recording_fails_once(
    contact_world, smtp_server, django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import OperationalError

    from partnerdesk.contact import outbound

    contact_world.grant()
    real, calls = outbound._record_delivery, []

    def record_failing_once(mail, status, **kwargs):
        calls.append(status)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")  # as PostgreSQL answered before the one lock order
        return real(mail, status, **kwargs)

    monkeypatch.setattr(outbound, "_record_delivery", record_failing_once)
    mail, _ = _send(contact_world, django_capture_on_commit_callbacks)
    mail.refresh_from_db()
    assert len(smtp_server.envelopes) == 1
    assert mail.status == EndCustomerMail.Status.SENT and mail.delivered_at is not None
    delivered = AuditEntry.objects.get(action=AuditAction.MAIL_DELIVERED)
    assert delivered.detail["mail"] == mail.pk and delivered.detail["recorded_after"] == "OperationalError"
    # Delivering again (a retry, a second worker) never sends it twice.
    assert deliver_due().handled == 0
    assert len(smtp_server.envelopes) == 1


def test_r9_3_a_mail_claimed_by_one_delivery_is_not_sent_by_another(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    contact_world.grant()
    mail, _ = _send(contact_world, django_capture_on_commit_callbacks, execute=False)
    # Another worker claimed it a moment ago.
    OutboxMessage.objects.update(state="sending", claimed_at=timezone.now(), attempts=1)
    assert deliver_due().handled == 0
    assert smtp_server.envelopes == []
    assert EndCustomerMail.objects.get(pk=mail.pk).status == EndCustomerMail.Status.QUEUED
