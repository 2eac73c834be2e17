"""Reading one inbound mail: headers, the new text only, sanitised HTML, attachments, auto-reply and bounce.

Pure functions over the raw bytes (no database): the matching in `inbound` decides what the mail is for.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

import nh3
from mailparser_reply import EmailReplyParser

# The languages whose reply headers ("Von: ... Gesendet: ...", "Am ... schrieb ...") are recognised.
REPLY_LANGUAGES = ["de", "en"]
_reply_parser = EmailReplyParser(languages=REPLY_LANGUAGES)

# Tags kept when an HTML-only mail is shown; everything else (scripts, styles, handlers) is removed.
SAFE_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "i", "li", "ol", "p", "pre", "span", "strong",
    "table", "tbody", "td", "th", "thead", "tr", "u", "ul", "h1", "h2", "h3", "h4",
}  # fmt: skip
_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote|/pre)\s*>")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")
_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")

# Auto-Submitted values other than "no", and Precedence values that mark machine mail (RFC 3834).
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")


@dataclass
class Attached:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Bounce:
    """A delivery status report: which of our messages it answers, for which addresses, and why."""

    message_ids: list[str]
    recipients: list[str]
    status: str
    diagnostic: str


@dataclass
class ParsedMail:
    message_id: str
    from_name: str
    from_address: str
    to: list[str]
    subject: str
    in_reply_to: list[str]
    references: list[str]
    date: datetime | None
    text: str  # the whole text (plain part, or the HTML's text)
    new_text: str  # the new text only: quoted history and signature removed
    html: str  # sanitised HTML, when the mail has an HTML part
    attachments: list[Attached] = field(default_factory=list)
    auto_reply: bool = False
    bounce: Bounce | None = None

    @property
    def answered_ids(self) -> list[str]:
        """The Message-IDs this mail answers, the direct parent first."""
        seen: list[str] = []
        for message_id in [*self.in_reply_to, *reversed(self.references)]:
            if message_id not in seen:
                seen.append(message_id)
        return seen

    @property
    def subject_ticket_id(self) -> int | None:
        match = _SUBJECT_TAG.search(self.subject)
        return int(match.group(1)) if match else None


def message_ids(value: str | None) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def fallback_message_id(raw: bytes) -> str:
    """A mail without a Message-ID is known by its content, so the same bytes delivered twice are one."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@inbound.invalid>"


def html_to_text(html: str) -> str:
    text = nh3.clean(_BLOCK_END.sub("\n", html), tags=set())
    text = (
        text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#39;", "'")
        .replace("&amp;", "&")
    )
    lines = [line.strip() for line in text.splitlines()]
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def new_text_of(text: str) -> str:
    """The reply's own text: without the quoted history ("Von: … Gesendet: …", "> …") and the signature."""
    if not text.strip():
        return ""
    try:
        replies = _reply_parser.read(text).replies
    except Exception:  # a parser failure keeps the whole text rather than losing the mail
        return text.strip()
    body = replies[0].body if replies else text
    lines = body.splitlines()
    # Remove a trailing block of ">" quotes and its attribution line ("Am … schrieb …:", "On … wrote:").
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    if lines and re.search(r"(schrieb|wrote)\s*.{0,80}:\s*$", lines[-1]):
        lines.pop()
    result = "\n".join(lines).strip()
    return result or text.strip()


def _decoded_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeDecodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def _is_auto_reply(headers: dict[str, str]) -> bool:
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(name.lower() in headers for name in _AUTOREPLY_HEADERS[:2]):
        return True
    return headers.get("precedence", "").strip().lower() in _BULK_PRECEDENCE


def _raw_headers(message: Message) -> dict[str, str]:
    """The top-level headers, unparsed (the first of each name): reading them through the default policy
    would parse every header on every access, which costs more than the rest of the mail."""
    headers: dict[str, str] = {}
    for name, value in message.raw_items():  # type: ignore[attr-defined]
        headers.setdefault(name.lower(), str(value))
    return headers


def _decoded(value: str) -> str:
    """An RFC 2047 header value as text ("=?utf-8?q?...?=" and folding)."""
    if "=?" not in value:
        return " ".join(value.split())
    try:
        return " ".join(str(make_header(decode_header(value))).split())
    except (LookupError, UnicodeDecodeError, ValueError, HeaderParseError):
        return " ".join(value.split())


def _bounce_of(message: Message) -> Bounce | None:
    """A DSN (multipart/report; report-type=delivery-status, RFC 3464) and the message it answers."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "") or "").lower() != "delivery-status":
        return None
    recipients: list[str] = []
    status = diagnostic = ""
    answered: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else []
            for block in blocks:
                recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", "") or "")
                if recipient:
                    recipients.append(recipient.partition(";")[2].strip() or recipient.strip())
                status = status or str(block.get("Status", "") or "")
                diagnostic = diagnostic or str(block.get("Diagnostic-Code", "") or "")
        elif kind in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                answered += message_ids(payload[0].get("Message-ID"))
            else:
                headers = message_from_bytes(_decoded_text(part).encode(), policy=policy.default)
                answered += message_ids(headers.get("Message-ID"))
    if not answered:
        answered = message_ids(message.get("In-Reply-To")) + message_ids(message.get("References"))
    return Bounce(message_ids=answered, recipients=recipients, status=status.strip(), diagnostic=diagnostic.strip())


def _leaves(part: Message) -> Iterator[Message]:
    """The non-multipart parts in order; an attached mail (message/rfc822) is one part, not its insides."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for sub in part.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _parts(message: Message) -> tuple[Message | None, Message | None, list[Attached]]:
    """The first text and HTML body parts and the attachments, in one pass (each part's headers read once)."""
    plain = rich = None
    attachments: list[Attached] = []
    for part in _leaves(message):
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = part.get_filename() if disposition is not None or not kind.startswith("text/") else None
        if disposition != "attachment" and not filename and kind in ("text/plain", "text/html"):
            if kind == "text/plain" and plain is None:
                plain = part
                continue
            if kind == "text/html" and rich is None:
                rich = part
                continue
        if kind == "message/rfc822":
            inner = part.get_payload()
            payload = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        else:
            payload = part.get_payload(decode=True)  # type: ignore[assignment]
        if isinstance(payload, bytes) and payload:
            attachments.append(Attached(filename or "attachment", kind, payload))
    return plain, rich, attachments


def parse(raw: bytes) -> ParsedMail:
    """Everything partnerdesk needs of one mail; never raises on a malformed mail (it defaults instead)."""
    message: EmailMessage = message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    headers = _raw_headers(message)
    from_pairs = getaddresses([_decoded(headers.get("from", ""))])
    from_name, from_address = from_pairs[0] if from_pairs else ("", "")
    recipients = getaddresses(
        [headers.get(h, "") for h in ("to", "cc", "delivered-to", "x-original-to", "envelope-to")]
    )
    try:
        date = parsedate_to_datetime(headers["date"]) if headers.get("date") else None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None
    bounce = _bounce_of(message)
    text = html = ""
    attachments: list[Attached] = []
    if bounce is None:
        plain, rich, attachments = _parts(message)
        if rich is not None:
            html = nh3.clean(_decoded_text(rich), tags=SAFE_TAGS)
        text = _decoded_text(plain) if plain is not None else html_to_text(html) if html else ""
    text = text.replace("\r\n", "\n").strip()
    subject = _decoded(headers.get("subject", ""))
    ids = message_ids(headers.get("message-id"))
    return ParsedMail(
        message_id=ids[0] if ids else fallback_message_id(raw),
        from_name=from_name,
        from_address=from_address.strip().lower(),
        to=[address.strip().lower() for _name, address in recipients if address],
        subject=subject,
        in_reply_to=message_ids(headers.get("in-reply-to")),
        references=message_ids(headers.get("references")),
        date=date,
        text=text,
        new_text=new_text_of(text) if bounce is None else "",
        html=html,
        attachments=attachments,
        auto_reply=_is_auto_reply(headers),
        bounce=bounce,
    )
