"""`mail fetch`: import unseen mail from the IMAP mailbox of PARTNERDESK_IMAP_* (imap-tools).

Each message is stored (one transaction per mail, see `inbound.receive`) before it is flagged \\Seen (and moved
to PARTNERDESK_IMAP_ARCHIVE_FOLDER, when set), so a crash between the two imports it again next time, where
its Message-ID makes it a duplicate: fetching twice imports once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from imap_tools import AND, MailBox, MailBoxUnencrypted
from imap_tools.mailbox import BaseMailBox

from .choices import InboundSource
from .inbound import receive

logger = logging.getLogger(__name__)


@dataclass
class FetchReport:
    stored: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)  # uids that could not be stored (tried again next time)

    def __str__(self) -> str:
        return f"{self.stored} stored, {self.duplicates} duplicates, {len(self.failed)} failed"


def configured() -> bool:
    return bool(settings.PARTNERDESK_IMAP_HOST and settings.PARTNERDESK_IMAP_USER)


def _mailbox() -> BaseMailBox:
    host, port = settings.PARTNERDESK_IMAP_HOST, settings.PARTNERDESK_IMAP_PORT
    timeout = settings.PARTNERDESK_IMAP_TIMEOUT_SECONDS
    if settings.PARTNERDESK_IMAP_SSL:
        return MailBox(host, port, timeout=timeout)
    return MailBoxUnencrypted(host, port, timeout=timeout)


def fetch(*, limit: int | None = None) -> FetchReport:
    """Import the unseen messages of the configured folder; returns what happened."""
    report = FetchReport()
    if not configured():
        return report
    box = _mailbox().login(
        settings.PARTNERDESK_IMAP_USER, settings.PARTNERDESK_IMAP_PASSWORD, settings.PARTNERDESK_IMAP_FOLDER
    )
    try:
        uids = box.uids(AND(seen=False))
        if limit is not None:
            uids = uids[:limit]
        done = []
        for uid in uids:
            status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in data if isinstance(item, tuple)), None) if status == "OK" else None
            if not isinstance(raw, bytes):
                report.failed.append(uid)
                continue
            try:
                received = receive(raw, source=InboundSource.IMAP)
            except Exception:
                logger.exception("inbound mail uid %s could not be stored; it stays unseen", uid)
                report.failed.append(uid)
                continue
            report.duplicates += received.duplicate
            report.stored += not received.duplicate
            done.append(uid)
        if done:
            box.flag(done, "\\Seen", True)
            archive = settings.PARTNERDESK_IMAP_ARCHIVE_FOLDER
            if archive:
                box.move(done, archive)
    finally:
        box.logout()
    return report


def fetch_job() -> None:
    """The worker's periodic fetch (registered when IMAP is configured)."""
    report = fetch()
    if report.stored or report.failed:
        logger.info("mail fetch: %s", report)
