"""Reply addresses that carry their ticket: support+<ticket>.<token>@<domain> (R7.1).

The token is a keyed hash of the ticket's id, so an address cannot be guessed for another ticket and
needs no table. Mail to the address is still checked against its sender before it lands on the ticket.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import getaddresses

from django.conf import settings

TOKEN_LENGTH = 12


def inbound_address() -> str:
    """The desk's inbound address (PARTNERDESK_INBOUND_ADDRESS, default: DEFAULT_FROM_EMAIL's address)."""
    configured = getattr(settings, "PARTNERDESK_INBOUND_ADDRESS", "") or ""
    if configured:
        return configured
    return getaddresses([settings.DEFAULT_FROM_EMAIL])[0][1] or "support@localhost"


def ticket_token(ticket_id: int) -> str:
    key = f"partnerdesk.channels.reply:{settings.SECRET_KEY}".encode()
    return hmac.new(key, str(ticket_id).encode(), hashlib.sha256).hexdigest()[:TOKEN_LENGTH]


def reply_address(ticket_id: int) -> str:
    """The address a reply about this ticket goes to: the inbound address with the ticket's token."""
    local, _at, domain = inbound_address().rpartition("@")
    base = local.partition("+")[0]
    return f"{base}+{ticket_id}.{ticket_token(ticket_id)}@{domain}"


_TOKEN = re.compile(r"\+(\d{1,12})\.([0-9a-f]{" + str(TOKEN_LENGTH) + r"})@", re.IGNORECASE)


def ticket_of_address(address: str) -> int | None:
    """The ticket id a reply address names, when its token is right; None otherwise."""
    match = _TOKEN.search(address or "")
    if match is None:
        return None
    ticket_id, token = int(match.group(1)), match.group(2).lower()
    return ticket_id if hmac.compare_digest(token, ticket_token(ticket_id)) else None


def thread_id(ticket_id: int) -> str:
    """A Message-ID-shaped id every mail about the ticket lists in References, so replies find the ticket."""
    domain = inbound_address().rpartition("@")[2] or "localhost"
    return f"<ticket-{ticket_id}.{ticket_token(ticket_id)}@{domain}>"


_THREAD = re.compile(r"^<ticket-(\d{1,12})\.([0-9a-f]{" + str(TOKEN_LENGTH) + r"})@", re.IGNORECASE)


def ticket_of_thread_id(message_id: str) -> int | None:
    match = _THREAD.match(message_id or "")
    if match is None:
        return None
    ticket_id, token = int(match.group(1)), match.group(2).lower()
    return ticket_id if hmac.compare_digest(token, ticket_token(ticket_id)) else None
