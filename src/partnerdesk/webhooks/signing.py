"""Standard Webhooks signatures (https://www.standardwebhooks.com): the `standardwebhooks` package signs."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from .choices import MESSAGE_ID_PREFIX, SECRET_BYTES, SECRET_PREFIX


def new_secret() -> str:
    """`whsec_` and base64 of random bytes, the form every Standard Webhooks library reads."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    return MESSAGE_ID_PREFIX + uuid.uuid4().hex


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime | None = None) -> dict[str, str]:
    """The three headers of one attempt. The timestamp is the moment of sending (receivers refuse old ones),
    so it and the signature are made anew for each attempt; the id stays."""
    moment = datetime.fromtimestamp(int((at or datetime.now(UTC)).timestamp()), tz=UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        # The library reads the time as UTC whatever its zone: it is given UTC.
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=moment, data=body),
    }
