"""Webhooks test helpers: a real HTTP receiver on loopback that verifies every signature with the
`standardwebhooks` package, and endpoints registered through the service."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.outbox import events
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import TicketState
from partnerdesk.webhooks import services
from partnerdesk.webhooks.choices import WebhookEvent
from partnerdesk.webhooks.models import Endpoint
from tests.tickets.conftest import captured_ticket

ALL_EVENTS = list(WebhookEvent.values)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: Any = None  # the payload the library verified, or None
    refusal: str = ""  # why the library refused it

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that answers the statuses in `answers` in turn (then 200) and checks each
    request's signature against `secret` with standardwebhooks' `Webhook(secret).verify(body, headers)`."""

    answers: list[int] = field(default_factory=list)
    answer_body: str = '{"ok": true}'
    redirect_to: str = ""
    secret: str = ""
    delay: float = 0.0  # seconds before answering: a slow receiver
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def url(self, path: str = "/hooks/partnerdesk") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                record = Received(self.path, headers, body)
                if receiver.secret:
                    try:
                        record.verified = Webhook(receiver.secret).verify(body, headers)
                    except WebhookVerificationError as error:
                        record.refusal = str(error)
                receiver.received.append(record)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.redirect_to:
                    self.send_response(307)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = receiver.answer_body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def allow_private() -> Iterator[None]:
    """Loopback receivers over plain http, as the tests need them (off in production)."""
    with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=True):
        yield


@pytest.fixture
def receiver(allow_private: None) -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def register(admin: User, url: str, event_names: list[str] | None = None) -> tuple[Endpoint, str]:
    """An endpoint registered by a partner admin (loopback allowed for the moment of registration)."""
    with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=True):
        return services.register_endpoint(acting_user=admin, url=url, events=event_names or ALL_EVENTS)


def endpoint_for(receiver: Receiver, admin: User, event_names: list[str] | None = None) -> Endpoint:
    """An endpoint of the admin's partner pointing at the receiver, whose secret the receiver verifies with."""
    endpoint, secret = register(admin, receiver.url(), event_names)
    receiver.secret = secret
    return endpoint


def state_change(world: Any, *, partner: str = "a", subject: str = "VPN drops") -> Any:
    """A first-level ticket that L1 puts in progress: one `ticket.state_changed` of that partner."""
    if partner == "a":
        ticket = captured_ticket(world, subject=subject)
        agent = world.user(Role.L1_AGENT)
    else:
        agent = world.outsider[Role.L1_AGENT]
        ticket = ticket_services.create_ticket(acting_user=agent, end_customer=world.customer_b, subject=subject)
    return ticket_services.set_first_level_state(acting_user=agent, ticket=ticket, state=TicketState.IN_PROGRESS)


def publish(name: str, partner_id: int, **data: Any) -> None:
    with transaction.atomic():
        events.publish(name, partner_id=partner_id, data=data)
