"""Outbox test helpers: a real SMTP server on loopback (aiosmtpd) that can be stopped, restarted and made to refuse."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import EmailMessage
from django.db import transaction
from django.test import override_settings

from partnerdesk.outbox.services import enqueue
from tests.contact.conftest import contact_world, free_port

__all__ = ["contact_world"]  # the contact world, for the end-customer mail tests here


class MailServer:
    """aiosmtpd on a fixed loopback port. Recipients starting with `nobody` are refused for good (550),
    those starting with `busy` for now (450)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.envelopes: list[Any] = []
        self.controller: Controller | None = None
        self.delay = 0.0  # seconds before each DATA is answered: a slow server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.startswith("nobody"):
            return f"550 5.1.1 <{address}>: no such user"
        if address.startswith("busy"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Any]:
        return [message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]

    @property
    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]).strip() for m in self.messages]


@pytest.fixture
def mail_server() -> Any:
    server = MailServer()
    server.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=server.port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT=5,
        ):
            yield server
    finally:
        server.stop()


def notice(to: str = "partner_admin@a.example", *, kind: str = "quota_notice", subject: str = "75% used", **kw: Any):
    """One outbox row, written in its own transaction as a producer would."""
    with transaction.atomic():
        return enqueue(kind=kind, message=EmailMessage(subject, "Included time used.", to=[to]), **kw)
