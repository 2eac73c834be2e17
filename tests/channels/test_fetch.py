"""R7.1 against a real IMAP server (Dovecot on loopback): `mail fetch` imports, twice imports once;
`mail deliver` takes one message on standard input."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partnerdesk.accounts.choices import Role
from partnerdesk.channels import imap
from partnerdesk.channels.addresses import reply_address
from partnerdesk.channels.choices import InboundOutcome, InboundSource
from partnerdesk.channels.models import InboundMail
from partnerdesk.outbox import schedule
from partnerdesk.tickets.models import Message
from tests.contact.conftest import escalated_ticket

from .conftest import OUTLOOK_GERMAN_REPLY, build_mail


def test_r7_1_mail_fetch_imports_once_and_a_german_outlook_reply_lands_as_its_new_text(
    world: Any, dovecot: Any
) -> None:
    ticket = escalated_ticket(world.partner_a, world.customer_a, subject="Synchronisation bricht ab")
    agent = world.user(Role.L1_AGENT)
    dovecot.append(
        build_mail(sender=agent.email, to=reply_address(ticket.pk), body=OUTLOOK_GERMAN_REPLY.format(ticket=ticket.pk))
    )
    dovecot.append(build_mail(sender="stranger@nowhere.example", subject="Hallo"))
    out = StringIO()
    call_command("mail", "fetch", stdout=out)
    assert "2 stored" in out.getvalue()
    assert dovecot.count("UNSEEN") == 0  # flagged only after they were stored
    reply = InboundMail.objects.get(ticket=ticket)
    assert reply.source == InboundSource.IMAP and reply.outcome == InboundOutcome.MESSAGE
    assert reply.ticket_message.body.startswith("Hallo zusammen,") and "Gesendet:" not in reply.ticket_message.body
    assert b"Gesendet: Montag" in bytes(reply.raw)  # the original is kept
    assert InboundMail.objects.get(from_address="stranger@nowhere.example").outcome == InboundOutcome.QUARANTINED

    # Fetching again imports nothing: the flags say so, and so do the Message-IDs when the flags are lost.
    call_command("mail", "fetch", stdout=StringIO())
    dovecot.mark_all_unseen()
    out = StringIO()
    call_command("mail", "fetch", stdout=out)
    assert "0 stored, 2 duplicates" in out.getvalue()
    assert InboundMail.objects.count() == 2 and Message.objects.filter(ticket=ticket).count() == 1


def test_r7_1_fetch_moves_stored_mail_to_the_archive_folder(world: Any, dovecot: Any, settings: Any) -> None:
    client = dovecot.client()
    client.create("Archiv")
    client.logout()
    settings.PARTNERDESK_IMAP_ARCHIVE_FOLDER = "Archiv"
    dovecot.append(build_mail(sender="stranger@nowhere.example"))
    assert imap.fetch().stored == 1
    assert dovecot.count() == 0 and dovecot.count(folder="Archiv") == 1


def test_r7_1_a_mail_that_cannot_be_stored_stays_unseen_for_the_next_fetch(
    world: Any, dovecot: Any, monkeypatch: Any
) -> None:
    dovecot.append(build_mail(sender="stranger@nowhere.example"))

    def broken(raw: bytes, **kwargs: Any) -> Any:
        raise RuntimeError("database away")

    monkeypatch.setattr(imap, "receive", broken)
    with pytest.raises(CommandError, match="stay unseen"):
        call_command("mail", "fetch", stdout=StringIO())
    assert dovecot.count("UNSEEN") == 1 and InboundMail.objects.count() == 0
    monkeypatch.undo()
    assert imap.fetch().stored == 1


def test_r7_1_the_worker_fetches_on_its_schedule(world: Any, dovecot: Any) -> None:
    from django.apps import apps

    from partnerdesk.channels.apps import ChannelsConfig

    config = apps.get_app_config("channels")
    assert isinstance(config, ChannelsConfig)
    config.ready()  # now that IMAP is configured, the job is registered
    try:
        dovecot.append(build_mail(sender="stranger@nowhere.example"))
        assert "channels.mail_fetch" in schedule.run_due_jobs(force=True)
        assert InboundMail.objects.count() == 1
    finally:
        schedule.JOBS.pop("channels.mail_fetch", None)


def test_r7_1_fetch_without_a_mailbox_says_what_is_missing(settings: Any) -> None:
    settings.PARTNERDESK_IMAP_HOST = ""
    with pytest.raises(CommandError, match="PARTNERDESK_IMAP_HOST"):
        call_command("mail", "fetch")


class _Stdin:
    def __init__(self, data: bytes) -> None:
        from io import BytesIO

        self.buffer = BytesIO(data)


def test_r7_1_mail_deliver_exits_0_for_stored_and_duplicate_and_65_for_no_message(world: Any, monkeypatch: Any) -> None:
    raw = build_mail(sender="stranger@nowhere.example", message_id="<stdin@client.example>")
    for expected in ("quarantined", "duplicate"):
        monkeypatch.setattr(sys, "stdin", _Stdin(raw))
        out = StringIO()
        call_command("mail", "deliver", stdout=out)
        assert out.getvalue().startswith(expected)
    monkeypatch.setattr(sys, "stdin", _Stdin(b""))
    with pytest.raises(SystemExit) as exit_:
        call_command("mail", "deliver", stdout=StringIO(), stderr=StringIO())
    assert exit_.value.code == 65
    assert InboundMail.objects.filter(message_id="<stdin@client.example>").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r7_1_mail_deliver_stores_the_message_on_standard_input_once(world: Any, tmp_path: Any) -> None:
    """The MTA's pipe: a real `partnerdesk mail deliver` process; exit 0 for stored and for a duplicate."""
    from django.conf import settings as django_settings

    database = django_settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        pytest.skip(
            "the pipe test runs a second process on PostgreSQL (this run uses sqlite's in-memory test database)"
        )
    raw = build_mail(sender=world.user(Role.L1_AGENT).email, subject="Per Pipe", message_id="<pipe@client.example>")
    env = _env_for_subprocess(database)
    for expected in ("new_ticket", "duplicate"):
        done = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "partnerdesk", "mail", "deliver"], input=raw, capture_output=True, env=env,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode().startswith(expected)
    assert InboundMail.objects.filter(message_id="<pipe@client.example>").count() == 1
    empty = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "partnerdesk", "mail", "deliver"], input=b"", capture_output=True, env=env,
        timeout=120, check=False,
    )  # fmt: skip
    assert empty.returncode == 65


def _env_for_subprocess(database: dict[str, Any]) -> dict[str, str]:
    import os

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partnerdesk.settings"}
    env["DATABASE_URL"] = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    return env
