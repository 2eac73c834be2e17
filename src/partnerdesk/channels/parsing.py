"""Reading one inbound mail: headers, the new text only, sanitised HTML, attachments, auto-reply and bounce.

Pure functions over the raw bytes (no database): the matching in `inbound` decides what the mail is for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
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


def _is_auto_reply(message: Message) -> bool:
    auto_submitted = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(message.get(name) is not None for name in _AUTOREPLY_HEADERS[:2]):
        return True
    return str(message.get("Precedence", "") or "").strip().lower() in _BULK_PRECEDENCE


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


def parse(raw: bytes) -> ParsedMail:
    """Everything partnerdesk needs of one mail; never raises on a malformed mail (it defaults instead)."""
    message: EmailMessage = message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    from_pairs = getaddresses([str(message.get("From", "") or "")])
    from_name, from_address = from_pairs[0] if from_pairs else ("", "")
    recipients = getaddresses(
        [str(message.get(h, "") or "") for h in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")]
    )
    try:
        date = parsedate_to_datetime(str(message.get("Date"))) if message.get("Date") else None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None
    bounce = _bounce_of(message)
    text = html = ""
    attachments: list[Attached] = []
    if bounce is None:
        try:
            plain = message.get_body(preferencelist=("plain",))
            rich = message.get_body(preferencelist=("html",))
        except (KeyError, AttributeError):
            plain = rich = None
        if rich is not None:
            html = nh3.clean(_decoded_text(rich), tags=SAFE_TAGS)
        text = _decoded_text(plain) if plain is not None else html_to_text(html) if html else ""
        for part in message.iter_attachments():
            filename = part.get_filename() or ""
            if not filename and part.get_content_maintype() == "multipart":
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            attachments.append(Attached(filename or "attachment", part.get_content_type(), payload))
    text = text.replace("\r\n", "\n").strip()
    subject = " ".join(str(message.get("Subject", "") or "").split())
    ids = message_ids(message.get("Message-ID"))
    return ParsedMail(
        message_id=ids[0] if ids else fallback_message_id(raw),
        from_name=from_name,
        from_address=from_address.strip().lower(),
        to=[address.strip().lower() for _name, address in recipients if address],
        subject=subject,
        in_reply_to=message_ids(message.get("In-Reply-To")),
        references=message_ids(message.get("References")),
        date=date,
        text=text,
        new_text=new_text_of(text) if bounce is None else "",
        html=html,
        attachments=attachments,
        auto_reply=_is_auto_reply(message),
        bounce=bounce,
    )
