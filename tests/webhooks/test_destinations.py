"""Where webhooks may go (R12.3): public addresses only, also when hidden inside IPv6; URLs normalised."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from partnerdesk.webhooks import destinations, signing


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("169.254.169.254", False),  # cloud metadata
        ("0.0.0.0", False),  # noqa: S104 - an address judged, not bound
        ("224.0.0.1", False),  # multicast
        ("::1", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::5db8:d70e", True),  # NAT64 of a public address
    ],
)
def test_r12_3_only_public_unicast_addresses_count_as_public(address, public):
    assert destinations.is_public(ipaddress.ip_address(address)) is public


def test_r12_3_urls_are_normalised_for_the_request_line():
    destination = destinations.parse("  HTTPS://Bücher.example:8443/hook/ä?x=1 ")
    assert destination.scheme == "https" and destination.host == "xn--bcher-kva.example" and destination.port == 8443
    assert destination.target == "/hook/%C3%A4?x=1"
    assert destination.url == "https://xn--bcher-kva.example:8443/hook/%C3%A4?x=1"
    assert destination.host_header == "xn--bcher-kva.example:8443"
    ipv6 = destinations.parse("https://[2606:4700::1]")
    assert ipv6.host == "2606:4700::1" and ipv6.target == "/" and ipv6.host_header == "[2606:4700::1]"


def test_r12_3_plain_http_only_with_the_setting():
    with pytest.raises(ValidationError) as refused:
        destinations.parse("http://93.184.215.14/")
    assert list(refused.value.message_dict) == ["url"]
    with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=True):
        assert destinations.parse("http://127.0.0.1:8000/in").port == 8000


def test_r12_3_an_unresolvable_host_is_refused_naming_url(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(destinations.socket, "getaddrinfo", fail)
    with pytest.raises(ValidationError) as refused:
        destinations.check_for_registration("https://nowhere.invalid/")
    assert refused.value.message_dict == {"url": ["The host name nowhere.invalid cannot be resolved."]}


def test_r12_3_secrets_and_ids_have_the_standard_webhooks_form():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    assert signing.new_message_id().startswith("msg_") and signing.new_message_id() != signing.new_message_id()
    headers = signing.signed_headers(secret=secret, message_id="msg_1", body="{}")
    from standardwebhooks.webhooks import Webhook

    assert Webhook(secret).verify("{}", headers) == {}
