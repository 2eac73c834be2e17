"""Issue 17 item 8 (R13.2): closed tickets' attachments and mail originals past retention are removed by a
periodic job that records each run; open tickets, recent ones and the rows themselves stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.channels.models import InboundMail
from partnerdesk.ops.models import RetentionRun
from partnerdesk.ops.retention import run_retention
from partnerdesk.outbox import schedule
from partnerdesk.tickets import services
from partnerdesk.tickets.models import Attachment, Ticket
from tests.contact.conftest import escalated_ticket


def _ticket_with_files(world, subject: str) -> tuple[Ticket, Attachment, InboundMail]:
    ticket = escalated_ticket(world.partner_a, world.customer_a, subject=subject)
    attachment = services.add_attachment(
        acting_user=world.users[Role.L1_AGENT],
        ticket=ticket,
        upload=SimpleUploadedFile("log.txt", b"kernel: eth0 down\n", content_type="text/plain"),
    )
    mail = InboundMail.objects.create(
        message_id=f"<{subject}@customer.example>",
        source="imap",
        subject=subject,
        raw=b"From: x\r\n\r\nbody",
        size=16,
        outcome="ticket",
        partner=world.partner_a,
        ticket=ticket,
    )
    return ticket, attachment, mail


def _end(ticket: Ticket, *, days_ago: int, state: str = "closed") -> None:
    Ticket.objects.filter(pk=ticket.pk).update(state=state, resolved_at=timezone.now() - timedelta(days=days_ago))


@pytest.mark.django_db
def test_r13_2_retention_removes_old_closed_tickets_files_and_records_the_run(
    world, tmp_path, django_capture_on_commit_callbacks
):
    with override_settings(
        MEDIA_ROOT=str(tmp_path),
        PARTNERDESK_RETENTION_ATTACHMENT_DAYS=30,
        PARTNERDESK_RETENTION_MAIL_ORIGINAL_DAYS=60,
    ):
        old, old_file, old_mail = _ticket_with_files(world, "old")
        recent, recent_file, recent_mail = _ticket_with_files(world, "recent")
        still_open, open_file, open_mail = _ticket_with_files(world, "open")
        reopenable, reopen_file, _reopen_mail = _ticket_with_files(world, "reopenable")
        _end(old, days_ago=90)
        _end(recent, days_ago=10)
        _end(reopenable, days_ago=5, state="resolved")  # may still be reopened (TICKET_REOPEN_DAYS)
        path = tmp_path / old_file.file.name
        assert path.exists()
        with django_capture_on_commit_callbacks(execute=True):  # the file goes after the commit
            run = run_retention()
    assert (run.attachments_removed, run.mail_originals_removed) == (1, 1)
    assert run.attachment_bytes == len(b"kernel: eth0 down\n") and run.mail_original_bytes == len(
        b"From: x\r\n\r\nbody"
    )
    assert RetentionRun.objects.count() == 1
    assert not path.exists()
    old_file.refresh_from_db()
    assert old_file.removed_at is not None and old_file.filename == "log.txt"  # the row stays as history
    assert bytes(InboundMail.objects.get(pk=old_mail.pk).raw) == b""
    for kept in (recent_file, open_file, reopen_file):
        kept.refresh_from_db()
        assert kept.removed_at is None
    assert bytes(InboundMail.objects.get(pk=open_mail.pk).raw) != b""
    # A removed file is not found any more (404), never a server error.
    client = Client()
    client.force_login(world.users[Role.L1_AGENT])
    response = client.get(f"/tickets/{old.pk}/attachments/{old_file.pk}/")
    assert response.status_code == 404
    # Running again removes nothing twice.
    with override_settings(PARTNERDESK_RETENTION_ATTACHMENT_DAYS=30, PARTNERDESK_RETENTION_MAIL_ORIGINAL_DAYS=60):
        again = run_retention()
    assert (again.attachments_removed, again.mail_originals_removed) == (0, 0)


@pytest.mark.django_db
def test_r13_2_retention_keeps_everything_by_default_and_is_a_worker_job(world):
    assert run_retention() is None and not RetentionRun.objects.exists()
    assert "ops.retention" in schedule.JOBS


class _Abort(Exception):
    pass


@pytest.mark.django_db
def test_r13_2_rolled_back_retention_removes_no_file(world, tmp_path, django_capture_on_commit_callbacks):
    """The file goes only after the row saying so committed: a rolled-back run leaves both as they were."""
    from django.db import transaction

    with override_settings(MEDIA_ROOT=str(tmp_path), PARTNERDESK_RETENTION_ATTACHMENT_DAYS=30):
        ticket, attachment, _mail = _ticket_with_files(world, "rolled-back")
        _end(ticket, days_ago=90)
        path = tmp_path / attachment.file.name
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(_Abort), transaction.atomic():
                run_retention()
                raise _Abort
        assert callbacks == []  # nothing was left to run after the rollback
        assert path.exists()
        attachment.refresh_from_db()
        assert attachment.removed_at is None
        with django_capture_on_commit_callbacks(execute=True):
            assert run_retention().attachments_removed == 1
        assert not path.exists()
