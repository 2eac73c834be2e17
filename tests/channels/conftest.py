"""Inbound-mail fixtures: a real Dovecot IMAP server on loopback, and mails built like the ones clients send."""

from __future__ import annotations

import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.contact.conftest import contact_world  # noqa: F401 - the fixture, for the R9.5 tests

MAIL_UID = 5000  # dovecot refuses uid 0 for mail users

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {uid}
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class Dovecot:
    port: int
    user: str = "desk"
    password: str = "imap-secret"  # noqa: S105 - a throwaway test mailbox

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
        finally:
            client.logout()

    def count(self, criterion: str = "ALL", folder: str = "INBOX") -> int:
        client = self.client()
        try:
            client.select(folder)
            _status, data = client.search(None, criterion)
            return len(data[0].split())
        finally:
            client.logout()

    def mark_all_unseen(self) -> None:
        client = self.client()
        try:
            _status, data = client.select("INBOX")
            if int(data[0] or 0):
                client.store("1:*", "-FLAGS", "\\Seen")
        finally:
            client.logout()

    def empty(self) -> None:
        client = self.client()
        try:
            _status, data = client.select("INBOX")
            if int(data[0] or 0):
                client.store("1:*", "+FLAGS", "\\Deleted")
                client.expunge()
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        pytest.skip("dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="pd-dovecot-"))
    root.chmod(0o755)  # the mail processes run as uid 5000 and must reach the Maildir
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir()
    os.chown(root / "mail", MAIL_UID, MAIL_UID)
    server = Dovecot(port=_free_port())
    (root / "users").write_text(f"{server.user}:{{PLAIN}}{server.password}::::::\n")
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, uid=MAIL_UID, port=server.port))
    # Standard streams detached: dovecot forks into the background and a held pipe would never close.
    subprocess.run(  # noqa: S603 - our own binary and config
        [binary, "-c", str(config)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=True, timeout=30,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                log = root / "dovecot.log"
                raise RuntimeError(log.read_text() if log.exists() else "dovecot did not start") from None
            time.sleep(0.05)
    yield server
    pid_file = root / "run" / "master.pid"
    if pid_file.exists():
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        time.sleep(0.2)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server: Dovecot, settings: Any) -> Iterator[Dovecot]:
    """The mailbox, emptied, and partnerdesk's IMAP settings pointing at it."""
    dovecot_server.empty()
    settings.PARTNERDESK_IMAP_HOST = "127.0.0.1"
    settings.PARTNERDESK_IMAP_PORT = dovecot_server.port
    settings.PARTNERDESK_IMAP_SSL = False
    settings.PARTNERDESK_IMAP_USER = dovecot_server.user
    settings.PARTNERDESK_IMAP_PASSWORD = dovecot_server.password
    yield dovecot_server


def build_mail(
    *,
    sender: str,
    to: str = "support@groupios.example",
    subject: str = "Frage",
    body: str | None = "Hallo",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    if body is None and html is not None:
        message.set_content(html, subtype="html")  # an HTML-only mail
    else:
        message.set_content(body or "")
        if html is not None:
            message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


OUTLOOK_GERMAN_REPLY = """Hallo zusammen,

der Fehler tritt nach dem Update weiterhin auf, Protokoll anbei.

Mit freundlichen Grüßen
Petra Schmidt
Nordlicht Systemhaus GmbH

Von: Support <support@groupios.example>
Gesendet: Montag, 30. November 2026 10:15
An: Petra Schmidt <l1_agent@a.example>
Betreff: AW: [#{ticket}] Synchronisation bricht ab

Bitte senden Sie uns das Protokoll der letzten Synchronisation.
"""


# --- appointments (R7.2-R7.4) ------------------------------------------------------------------------


@dataclass
class Desk:
    """Partner A's escalated ticket on an S contract (R4.5 prices), its end customer's two contact persons, the
    vendor's L2 agent and a second agent; `grant()` authorises contact like the partner does (R9.2)."""

    world: Any
    ticket: Any
    contract: Any
    person: Any
    colleague: Any
    agent: Any
    second_agent: Any

    def grant(self, channels: list[str], **overrides: Any) -> Any:
        from datetime import timedelta

        from partnerdesk.contact import services as contact_services
        from partnerdesk.contact.choices import AppearAs

        values: dict[str, Any] = {
            "acting_user": self.world.user("l1_agent"),
            "end_customer": self.ticket.end_customer,
            "ticket": self.ticket,
            "channels": channels,
            "contact_persons": [self.person],
            "valid_until": timezone.now() + timedelta(days=30),
            "appear_as": AppearAs.PARTNER,
        }
        values.update(overrides)
        return contact_services.grant_authorization(**values)


@pytest.fixture
def desk(world: Any) -> Desk:
    from tests.contact.conftest import install_vendor, white_label
    from tests.contracts.conftest import escalated_ticket as charged_ticket
    from tests.contracts.conftest import make_contract
    from tests.factories import ContactPersonFactory, vendor_user

    install_vendor()
    white_label(world.partner_a)
    person = world.contact_a
    person.phone = "+49 431 5550123"
    person.save()
    colleague = ContactPersonFactory(
        end_customer=world.customer_a, name="Maria Petersen", email="maria@hansen.example", phone="0431 5550999"
    )
    contract = make_contract(world, "S", start=timezone.localdate() - timedelta_days(60))
    ticket = charged_ticket(contract, world.customer_a)
    second = vendor_user("l2_agent", email="second@vendor.example", full_name="Second Agent")
    return Desk(world, ticket, contract, person, colleague, world.user("l2_agent"), second)


def timedelta_days(days: int) -> Any:
    from datetime import timedelta

    return timedelta(days=days)


def open_slots(count: int = 3, *, minutes: int = 30, after: Any = None) -> list[tuple[Any, Any]]:
    """The next support-hours slots from tomorrow on (the hours engine's, R6.4)."""
    from datetime import timedelta

    from partnerdesk.tickets.clocks import vendor_calendar

    start = after or timezone.now() + timedelta(days=1)
    return vendor_calendar().next_open_slots(start, timedelta(minutes=minutes), count)


def past_slot(*, minutes: int = 30) -> tuple[Any, Any]:
    """A support-hours slot that lies wholly in the past week or two (for sessions that were held)."""
    from datetime import timedelta

    from partnerdesk.tickets.clocks import vendor_calendar

    now = timezone.now()
    slots = vendor_calendar().next_open_slots(now - timedelta(days=14), timedelta(minutes=minutes), 200)
    return next(s for s in slots if s[1] < now - timedelta(hours=1))
