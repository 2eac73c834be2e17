"""Where a webhook may go (R12.3): HTTPS to public addresses only, checked when an endpoint is registered and
again right before each attempt, whose connection then goes to the very address that was checked (a host name
that resolves to a public address at registration and to a private one later, DNS rebinding, is refused then).

PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE allows loopback and private addresses and plain http (development, tests).
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import MAX_URL_LENGTH

# 64:ff9b::/96 carries an IPv4 address for NAT64 gateways; the embedded address decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What a path or query may keep as it is; everything else (spaces are refused before) is percent-encoded.
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


class Refused(Exception):
    """The destination may not be used; `message` says why (translated, for the partner)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # ASCII (IDNA), without brackets
    port: int
    target: str  # path and query, as sent in the request line
    url: str  # the whole address, normalised

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def private_allowed() -> bool:
    return bool(settings.PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE)


def _invalid(message: str) -> ValidationError:
    return ValidationError({"url": [message]})


def parse(url: object) -> Destination:
    """The destination an endpoint's URL names, or a ValidationError naming `url`."""
    text = str(url or "").strip()
    if not text:
        raise _invalid(_("This field is required."))
    if len(text) > MAX_URL_LENGTH:
        raise _invalid(_("Use at most %(max)s characters.") % {"max": MAX_URL_LENGTH})
    if any(c.isspace() or unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} for c in text):
        raise _invalid(_("Use no spaces, line breaks or control characters in the URL."))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _invalid(_("Enter a valid URL.")) from None
    schemes = ("https", "http") if private_allowed() else ("https",)
    if parts.scheme.lower() not in schemes:
        if private_allowed():
            raise _invalid(_("Enter a URL beginning with https:// or http://."))
        raise _invalid(_("Enter a URL beginning with https://; plain http is not allowed."))
    scheme = parts.scheme.lower()
    if parts.username is not None or parts.password is not None:
        raise _invalid(_("Leave the user name and password out of the URL; the signature proves the sender."))
    if parts.fragment:
        raise _invalid(_("Leave out the part after #; it is never sent."))
    hostname = parts.hostname or ""
    if not hostname:
        raise _invalid(_("Enter a URL with a host name."))
    try:
        host = str(ipaddress.ip_address(hostname))
    except ValueError:
        try:
            host = hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise _invalid(_("Enter a valid host name.")) from None
    target = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_URL_SAFE)
    port = port or (443 if scheme == "https" else 80)
    destination = Destination(scheme=scheme, host=host, port=port, target=target, url="")
    return replace(destination, url=f"{scheme}://{destination.host_header}{target}")


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A unicast address on the public internet; an IPv4 address inside an IPv6 one is judged too."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


def resolve(destination: Destination) -> list[str]:
    """The addresses to connect to, in the resolver's order; Refused when there is none or (unless
    PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE) any of them is loopback, private or otherwise not public."""
    try:
        found = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(_("The host name %(host)s cannot be resolved.") % {"host": destination.host}) from None
    addresses = list(dict.fromkeys(str(info[4][0]).partition("%")[0] for info in found))
    if not addresses:
        raise Refused(_("The host name %(host)s cannot be resolved.") % {"host": destination.host})
    if not private_allowed():
        for address in addresses:
            if not is_public(ipaddress.ip_address(address)):
                raise Refused(
                    _("%(address)s is a loopback, private or reserved address; webhooks go to public addresses only.")
                    % {"address": address}
                )
    return addresses


def check_for_registration(url: object) -> Destination:
    """Parse and resolve the URL as a registration does; every refusal is a field error on `url`."""
    destination = parse(url)
    if private_allowed():
        return destination  # development and tests: no lookup needed to allow anything
    try:
        resolve(destination)
    except Refused as refused:
        raise _invalid(refused.message) from None
    return destination
