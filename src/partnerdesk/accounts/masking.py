"""Masking contact data in text the vendor reads (R9.1, R1.3).

Correspondence with an end customer is stored on the ticket for both sides; the copy the vendor can read
has the end customer's contact data replaced by placeholders, so it stays hidden after an authorisation
ends. The vendor sees contact data only through `contact.selectors.contacts_shown_to`, which logs each reveal.

Two promises:

- **Variants are normalised before matching**: Unicode NFC, RFC 2047 encoded words (`=?utf-8?q?...?=`,
  `=?utf-8?b?...?=`) decoded, percent-encoded address characters (`franz%40huber.example`) decoded, names
  matched in any capitalisation that starts with a capital (`Hansen`, `HANSEN`), phone numbers in national,
  international and `+49 (0) ...` form. The vendor's copy shows the decoded text.
- **Linear time**: every pattern either starts on a fixed literal or can start only at the beginning of a
  run (a look-behind refuses starts inside it) and consumes its runs possessively (`*+`, `++`), so no
  character is scanned more than a bounded number of times, whatever the text (long runs of word
  characters, many `@`, many digits). `tests/accounts/test_masking.py` bounds it; `bench/bench_masking.py`
  measures it.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from partnerdesk.accounts.models import ContactPerson, EndCustomer

NAME_PLACEHOLDER = "[name]"
EMAIL_PLACEHOLDER = "[e-mail]"
PHONE_PLACEHOLDER = "[phone]"

_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]"
# Starts only where a run of local-part characters starts, and takes each run whole (possessive): linear.
_EMAIL = re.compile(rf"(?<!{_LOCAL}){_LOCAL}++@[\w-]++(?:\.[\w-]++)++")
# A number after a telephone label ("Tel.: +49 ..."), as in signatures; other digits (logs, versions) stay.
_LABELLED_PHONE = re.compile(
    r"(?i)\b(tel|tel\.|telefon|phone|mobil|mobile|handy|fax|cell)(\s*+[.:]?\s*+)(\+?\d(?:[\s/().-]*+\d){4,}+)"
)
# RFC 2047 encoded words, as mail clients write names into headers and quoted text.
_ENCODED_WORD = re.compile(r"=\?([^?\s]++)\?([QqBb])\?([^?\s]*+)\?=")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_ADDRESS_CHARACTERS = frozenset("@.+-_~") | frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.group(1), match.group(2).upper(), match.group(3)
    try:
        if encoding == "Q":
            raw = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=False)
        else:
            raw = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=False)
        return raw.decode(charset.partition("*")[0], errors="replace")
    except (LookupError, ValueError, binascii.Error, UnicodeEncodeError):
        return match.group(0)


def _decode_percent(match: re.Match[str]) -> str:
    character = chr(int(match.group(1), 16))
    return character if character in _ADDRESS_CHARACTERS else match.group(0)


def normalise(text: str) -> str:
    """The text as masking matches it: NFC, encoded words and percent-encoded address characters decoded."""
    text = unicodedata.normalize("NFC", text)
    if "=?" in text:
        text = _ENCODED_WORD.sub(_decode_word, text)
    if "%" in text:
        text = _PERCENT.sub(_decode_percent, text)
    return text


def _phone_pattern(phone: str) -> re.Pattern[str] | None:
    """The number's digits with any separators between them, in international and national form
    (+49 30 555 = 0049 30 555 = 030 555 = +49 (0) 30 555)."""
    digits = re.sub(r"\D", "", phone)
    international = phone.strip().startswith(("+", "00"))
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) < 5:
        return None
    variants = {digits}
    if international and digits.startswith("49"):
        variants |= {"0" + digits[2:], "490" + digits[2:]}
    elif not international and digits.startswith("0"):
        variants |= {"49" + digits[1:], "49" + digits}
    separator = r"[\s/().-]*+"
    alternatives = [
        r"(?:\+|00)?" + separator.join(re.escape(d) for d in variant) for variant in sorted(variants, key=len)
    ]
    return re.compile(r"(?<!\d)(?:" + "|".join(reversed(alternatives)) + r")(?!\d)")


def _words_pattern(name: str) -> re.Pattern[str] | None:
    words = name.split()
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\s++".join(re.escape(w) for w in words) + r"(?!\w)", re.IGNORECASE)


def _capitalised(match: re.Match[str]) -> str:
    # A name part alone is masked when written as a name (Hansen, HANSEN), not as a word (hansen).
    found = match.group(0)
    return NAME_PLACEHOLDER if found[0].isupper() else found


def _mask_name(text: str, name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        return text
    whole = _words_pattern(name)
    if whole is not None:
        text = whole.sub(NAME_PLACEHOLDER, text)
    parts = [p for p in re.split(r"[\s,]+", name) if len(p) >= 3 and p[0].isupper() and not p.endswith(".")]
    for part in parts:
        text = re.sub(r"(?<!\w)" + re.escape(part) + r"(?!\w)", _capitalised, text, flags=re.IGNORECASE)
    return text


def redact(text: str, *, persons: Iterable[ContactPerson], end_customer: EndCustomer | None = None) -> str:
    """`text` without the persons' names, e-mail addresses and phone numbers, without any e-mail address or
    labelled phone number at all, and without the end customer's name unless the partner revealed it."""
    if not text:
        return text
    text = normalise(text)
    persons = list(persons)
    for person in persons:
        if person.phone and (pattern := _phone_pattern(person.phone)):
            text = pattern.sub(PHONE_PLACEHOLDER, text)
    if "@" in text:
        text = _EMAIL.sub(EMAIL_PLACEHOLDER, text)
    text = _LABELLED_PHONE.sub(lambda m: m.group(1) + m.group(2) + PHONE_PLACEHOLDER, text)
    if end_customer is not None and not end_customer.name_revealed:
        organisation = _words_pattern(unicodedata.normalize("NFC", end_customer.name))
        if organisation is not None:
            text = organisation.sub(end_customer.pseudonym, text)
    # Longest names first, so that "Jens Hansen" goes as a whole before "Hansen".
    for person in sorted(persons, key=lambda p: -len(p.name)):
        text = _mask_name(text, person.name)
    return text


def redact_for_vendor(text: str, *, end_customer: EndCustomer) -> str:
    """Mask every contact person of the end customer (the text is stored; authorisations end). Uses the end
    customer's prefetched contacts when there are any (`prefetch_related("end_customer__contacts")`)."""
    return redact(text, persons=end_customer.contacts.all(), end_customer=end_customer)
