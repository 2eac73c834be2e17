"""The outbox worker against a real SMTP server on loopback (R2.2, R4.9, R6.3, R9.3; ARCHITECTURE 19)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.contracts import services as contract_services
from partnerdesk.contracts.models import ContractRequest
from partnerdesk.outbox import delivery, schedule
from partnerdesk.outbox.delivery import backoff, deliver_due, register_check, register_outcome
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.outbox.services import NotInTransaction, enqueue, prune_sent

from .conftest import notice

pytestmark = pytest.mark.django_db


def _due_again() -> None:
    """Let the waiting time pass for every retrying row (test set-up)."""
    OutboxMessage.objects.filter(state="retrying").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_r4_9_the_worker_delivers_what_was_enqueued_with_the_fixed_message_id(mail_server):
    row = notice()
    assert row.state == "queued" and row.message_id.startswith("<") and row.message_id.endswith(">")
    assert mail_server.envelopes == []  # enqueue never sends
    report = deliver_due()
    assert report.sent == [row.pk]
    (message,) = mail_server.messages
    assert str(message["Message-ID"]).strip() == row.message_id
    assert mail_server.envelopes[0].rcpt_tos == ["partner_admin@a.example"]
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts == 1 and row.sent_at is not None and row.last_error == ""
    assert deliver_due().handled == 0 and len(mail_server.envelopes) == 1  # never twice


def test_r9_3_html_and_an_inline_logo_survive_the_outbox(mail_server):
    from email.mime.image import MIMEImage

    message = EmailMultiAlternatives("Branded", "text part", "Brand <support@brand.example>", ["jens@hansen.example"])
    message.attach_alternative("<p>html part</p>", "text/html")
    message.mixed_subtype = "related"
    image = MIMEImage(b"\x89PNG\r\n\x1a\nfake", _subtype="png")
    image.add_header("Content-ID", "<brand-logo>")
    image.add_header("Content-Disposition", "inline", filename="logo")
    message.attach(image)
    message.extra_headers["Message-ID"] = "<fixed-1@brand.example>"
    with transaction.atomic():
        row = enqueue(kind="end_customer_mail_test", message=message)
    assert row.message_id == "<fixed-1@brand.example>"
    deliver_due()
    (received,) = mail_server.messages
    assert received["Message-ID"] == "<fixed-1@brand.example>"
    assert received.get_body(("html",)).get_content().strip() == "<p>html part</p>"
    logo = next(part for part in received.walk() if part.get_content_type() == "image/png")
    assert logo["Content-ID"] == "<brand-logo>" and logo.get_content() == b"\x89PNG\r\n\x1a\nfake"


def test_r4_9_mail_server_stopped_mid_batch_every_message_arrives_and_none_twice(mail_server):
    rows = [notice(kind="batch_test", to=f"admin{i}@a.example", subject=f"notice {i}") for i in range(10)]
    handed_over: list[int] = []

    def stop_after_four(row):
        handed_over.append(row.pk)
        if len(handed_over) == 5:
            mail_server.stop()  # the server goes away in the middle of the batch
        return None

    register_check("batch_test", stop_after_four)
    try:
        first = deliver_due()
        assert len(first.sent) == 4 and len(first.retrying) == 6
        assert len(mail_server.envelopes) == 4
        waiting = OutboxMessage.objects.get(pk=rows[-1].pk)
        assert waiting.state == "retrying" and waiting.next_attempt_at > timezone.now()
        assert waiting.last_error  # the reason is kept
        assert deliver_due().handled == 0  # not due yet: the backoff holds
        mail_server.start()  # back on the same port
        _due_again()
        second = deliver_due()
        assert len(second.sent) == 6
    finally:
        delivery._CHECKS.pop("batch_test", None)
    ids = mail_server.message_ids
    assert sorted(ids) == sorted(r.message_id for r in rows) and len(set(ids)) == 10
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_r2_2_a_permanent_refusal_fails_at_once_with_the_reason(mail_server):
    row = notice(to="nobody@a.example")
    report = deliver_due()
    assert report.failed == [row.pk]
    row.refresh_from_db()
    assert row.state == "failed" and row.attempts == 1 and row.next_attempt_at is None
    assert "550" in row.last_error and "no such user" in row.last_error
    assert mail_server.envelopes == []


def test_r2_2_a_temporary_refusal_is_retried_with_the_reason(mail_server):
    row = notice(to="busy@a.example")
    assert deliver_due().retrying == [row.pk]
    row.refresh_from_db()
    assert row.state == "retrying" and "450" in row.last_error


@override_settings(
    PARTNERDESK_OUTBOX_RETRY_SECONDS=60, PARTNERDESK_OUTBOX_MAX_BACKOFF_SECONDS=3600, PARTNERDESK_OUTBOX_MAX_ATTEMPTS=4
)
def test_r6_3_backoff_doubles_is_capped_and_gives_up_after_the_last_attempt(mail_server):
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 7, 20)] == [60, 120, 240, 480, 3600, 3600]
    mail_server.stop()  # nothing listens: every attempt fails for now
    row = notice(kind="breach_risk", to="l2@vendor.example")
    waits = []
    for _attempt in range(3):
        before = timezone.now()
        deliver_due()
        row.refresh_from_db()
        assert row.state == "retrying"
        waits.append(round((row.next_attempt_at - before).total_seconds() / 60))
        _due_again()
    assert waits == [1, 2, 4]
    deliver_due()
    row.refresh_from_db()
    assert row.state == "failed" and row.attempts == 4 and row.last_error


def test_r2_2_rollback_of_the_producing_transaction_leaves_no_row(world, mail_server):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        contract_services.request_individual_contract(acting_user=world.user(Role.PARTNER_ADMIN), message="40 h")
        assert OutboxMessage.objects.filter(kind="contract_request").count() == 1  # written in the transaction
        raise Rollback
    assert not OutboxMessage.objects.exists() and not ContractRequest.objects.exists()
    deliver_due()
    assert mail_server.envelopes == []
    request = contract_services.request_individual_contract(acting_user=world.user(Role.PARTNER_ADMIN), message="40 h")
    row = OutboxMessage.objects.get(kind="contract_request")
    assert row.reference == f"contracts.ContractRequest:{request.pk}"
    deliver_due()
    assert mail_server.envelopes[0].rcpt_tos == ["sales@groupios.com"]


@pytest.mark.django_db(transaction=True)
def test_r2_2_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(NotInTransaction):
        enqueue(kind="quota_notice", message=EmailMessage("x", "y", to=["a@a.example"]))
    assert not OutboxMessage.objects.exists()


def test_r4_9_a_send_stuck_after_a_crash_is_retried_with_the_same_message_id(mail_server):
    row = notice()
    # A worker claimed it and died before recording anything (kill -9 between SMTP and the commit).
    OutboxMessage.objects.filter(pk=row.pk).update(
        state="sending", attempts=1, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    fresh = notice(subject="a fresh one")
    OutboxMessage.objects.filter(pk=fresh.pk).update(state="sending", attempts=1, claimed_at=timezone.now())
    report = deliver_due()
    assert report.recovered == 1 and report.sent == [row.pk]
    assert mail_server.message_ids == [row.message_id]  # the receiver can dedupe by it
    assert OutboxMessage.objects.get(pk=fresh.pk).state == "sending"  # another worker's, still in its hands


def test_r9_3_the_pre_send_check_refuses_and_the_outcome_is_reported(mail_server):
    outcomes: list[tuple[int, str]] = []
    register_check("checked_test", lambda row: "revoked" if "stop" in row.subject else None)
    register_outcome("checked_test", lambda row, outcome: outcomes.append((row.pk, outcome)))
    try:
        refused = notice(kind="checked_test", subject="stop this")
        allowed = notice(kind="checked_test", subject="fine")
        failing = notice(kind="checked_test", subject="fine", to="nobody@a.example")
        report = deliver_due()
    finally:
        delivery._CHECKS.pop("checked_test", None)
        delivery._OUTCOMES.pop("checked_test", None)
    assert report.refused == [refused.pk] and report.sent == [allowed.pk] and report.failed == [failing.pk]
    assert sorted(outcomes) == sorted([(refused.pk, "refused"), (allowed.pk, "sent"), (failing.pk, "failed")])
    refused.refresh_from_db()
    assert refused.state == "failed" and refused.last_error == "refused: revoked"
    assert mail_server.message_ids == [allowed.message_id]


def test_r4_9_sent_rows_are_pruned_after_the_kept_days(mail_server):
    old, recent = notice(), notice()
    deliver_due()
    OutboxMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=31))
    failed = notice(to="nobody@a.example")
    deliver_due()
    OutboxMessage.objects.filter(pk=failed.pk).update(created_at=timezone.now() - timedelta(days=90))
    assert prune_sent() == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}  # failed ones stay


def test_r6_3_the_worker_command_delivers_and_runs_the_registered_jobs_once(mail_server, capsys):
    assert {"tickets.notify_breach_risks", "contracts.settle_contracts", "outbox.prune_sent"} <= set(schedule.JOBS)
    row = notice()
    call_command("worker", "--once")
    out = capsys.readouterr().out
    assert "sent 1" in out and "ran tickets.notify_breach_risks" in out and "ran contracts.settle_contracts" in out
    assert OutboxMessage.objects.get(pk=row.pk).state == "sent"
    assert mail_server.message_ids == [row.message_id]


def test_r6_3_a_failing_job_is_logged_and_the_others_run(caplog):
    ran: list[str] = []
    schedule.register_job("test.broken", lambda: 1 / 0, every=timedelta(minutes=1))
    schedule.register_job("test.fine", lambda: ran.append("fine"), every=timedelta(minutes=1))
    try:
        names = schedule.run_due_jobs(force=True)
        assert "test.fine" in names and "test.broken" not in names and ran == ["fine"]
        assert "test.broken" in caplog.text
        later = timezone.now() + timedelta(seconds=10)
        assert "test.fine" not in schedule.run_due_jobs(now=later)  # not due again yet
    finally:
        schedule.JOBS.pop("test.broken", None)
        schedule.JOBS.pop("test.fine", None)
