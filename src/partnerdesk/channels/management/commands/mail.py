"""`partnerdesk mail fetch` (IMAP) and `partnerdesk mail deliver` (one message on standard input) (R7.1, R12.4)."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerdesk.channels import imap
from partnerdesk.channels.choices import InboundSource
from partnerdesk.channels.inbound import receive

# sysexits.h: what an MTA's pipe understands (75: try again later, 65: the data is bad).
EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Inbound mail: 'fetch' imports unseen IMAP mail, 'deliver' stores the message on standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fetch = sub.add_parser("fetch", help="import unseen mail from PARTNERDESK_IMAP_HOST")
        fetch.add_argument("--limit", type=int, default=None, help="at most this many messages")
        sub.add_parser("deliver", help="store one RFC 5322 message read from standard input (MTA pipe)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "fetch":
            if not imap.configured():
                raise CommandError("PARTNERDESK_IMAP_HOST and PARTNERDESK_IMAP_USER are not set")
            report = imap.fetch(limit=options["limit"])
            self.stdout.write(str(report))
            if report.failed:
                raise CommandError(f"{len(report.failed)} messages could not be stored; they stay unseen")
            return
        raw = sys.stdin.buffer.read(settings.PARTNERDESK_INBOUND_MAX_BYTES + 1)
        if not raw.strip():
            self.stderr.write("no message on standard input")
            sys.exit(EX_DATAERR)
        if len(raw) > settings.PARTNERDESK_INBOUND_MAX_BYTES:
            self.stderr.write(f"message larger than {settings.PARTNERDESK_INBOUND_MAX_BYTES} bytes")
            sys.exit(EX_DATAERR)
        try:
            received = receive(raw, source=InboundSource.PIPE)
        except Exception as error:  # the database is away: the MTA keeps the mail and tries again
            self.stderr.write(f"not stored, try again later: {type(error).__name__}")
            sys.exit(EX_TEMPFAIL)
        mail = received.mail
        self.stdout.write(f"{'duplicate' if received.duplicate else mail.outcome} {mail.message_id}")
