"""The webhooks API (R12.3, R1.1, R13.1): registering with the secret shown once, refusals naming the field,
partner admins only, other partners' endpoints invisible."""

from __future__ import annotations

import pytest
from django.test import override_settings

from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import SecurityLog
from partnerdesk.webhooks.models import Delivery, Endpoint

from .conftest import ALL_EVENTS, register, state_change

pytestmark = pytest.mark.django_db


def _fields(response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_r12_3_secret_is_shown_once_at_creation_and_never_again(world, api_as, allow_private):
    client = api_as(Role.PARTNER_ADMIN)
    response = client.post("webhooks", {"url": "http://127.0.0.1:9/in", "events": ["ticket.state_changed"]})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["url"] == "http://127.0.0.1:9/in" and created["events"] == ["ticket.state_changed"]
    listed = client.get("webhooks")
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == created["id"] and "secret" not in item
    assert created["secret"] not in listed.content.decode()
    assert created["secret"] not in client.get(f"webhooks/{created['id']}/deliveries").content.decode()
    assert Endpoint.objects.get(pk=created["id"]).secret == created["secret"]  # kept to sign


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/in",
        "https://localhost:8443/in",
        "https://[::1]/in",
        "https://10.1.2.3/in",
        "https://192.168.0.10/in",
        "https://172.16.5.4/in",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/in",
        "https://[::ffff:10.0.0.1]/in",
        "https://[fd00::1]/in",
        "https://0.0.0.0/in",
    ],
)
def test_r12_3_loopback_and_private_addresses_are_refused_naming_url(world, api_as, url):
    response = api_as(Role.PARTNER_ADMIN).post("webhooks", {"url": url, "events": ["ticket.state_changed"]})
    assert response.status_code == 422, response.content
    assert "public addresses only" in _fields(response)["url"]
    assert not Endpoint.objects.exists()


def test_r12_3_plain_http_is_refused_naming_url_in_german_and_english(world, api_as):
    client = api_as(Role.PARTNER_ADMIN)
    body = {"url": "http://93.184.215.14/in", "events": ["ticket.state_changed"]}
    response = client.post("webhooks", body)
    assert response.status_code == 422
    assert _fields(response) == {"url": "Enter a URL beginning with https://; plain http is not allowed."}
    german = client.post("webhooks", body, **{"Accept-Language": "de"})
    assert _fields(german) == {"url": "Geben Sie eine URL mit https:// an; einfaches http ist nicht erlaubt."}
    assert not Endpoint.objects.exists()


def test_r12_3_the_setting_allows_http_and_loopback(world, api_as):
    body = {"url": "http://localhost:8000/in", "events": ["ticket.state_changed"]}
    assert api_as(Role.PARTNER_ADMIN).post("webhooks", body).status_code == 422
    with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=True):
        assert api_as(Role.PARTNER_ADMIN).post("webhooks", body).status_code == 201


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "This field is required."),
        ("ftp://93.184.215.14/in", "https://"),
        ("https://user:pw@93.184.215.14/in", "user name and password"),
        ("https://93.184.215.14/in#frag", "#"),
        ("https://93.184.215.14:99999/in", "valid URL"),
        ("https://[::1/in", "valid URL"),
        ("https:///in", "host name"),
        ("https://93.184.215.14/a b", "spaces"),
        ("https://" + "a" * 2001, "2000"),
    ],
)
def test_r13_1_bad_urls_are_field_errors_never_a_server_error(world, api_as, url, problem):
    response = api_as(Role.PARTNER_ADMIN).post("webhooks", {"url": url, "events": ["ticket.state_changed"]})
    assert response.status_code == 422, response.content
    assert problem in _fields(response)["url"]


def test_r12_3_unknown_event_is_refused_naming_events(world, api_as, allow_private):
    client = api_as(Role.PARTNER_ADMIN)
    response = client.post("webhooks", {"url": "http://127.0.0.1:9/", "events": ["ticket.deleted"]})
    assert response.status_code == 422
    message = _fields(response)["events"]
    assert "ticket.deleted" in message and "ticket.state_changed" in message
    empty = client.post("webhooks", {"url": "http://127.0.0.1:9/", "events": []})
    assert _fields(empty) == {"events": "Choose at least one event."}
    both = client.post("webhooks", {"url": "https://10.0.0.1/", "events": ["nope"]})
    assert set(_fields(both)) == {"events"}  # the setting allows the address; the event is still refused
    assert not Endpoint.objects.exists()


def test_r13_1_every_problem_is_named_at_once(world, api_as):
    response = api_as(Role.PARTNER_ADMIN).post("webhooks", {"url": "http://10.0.0.1/", "events": ["nope"]})
    assert set(_fields(response)) == {"url", "events"}


@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.VENDOR_ADMIN, Role.L2_AGENT, Role.SALES])
def test_r1_4_only_partner_admins_manage_webhooks(world, api_as, role, allow_private):
    endpoint, _secret = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/")
    client = api_as(role)
    listed = client.get("webhooks")
    assert listed.status_code == 403
    assert listed.json()["detail"] == "Only partner administrators can manage webhooks."
    created = client.post("webhooks", {"url": "http://127.0.0.1:9/", "events": ALL_EVENTS})
    assert created.status_code == 403
    expected = 403 if role == Role.L1_AGENT else 404  # the vendor does not see partners' endpoints at all
    assert client.get(f"webhooks/{endpoint.pk}/deliveries").status_code == expected
    assert client.delete(f"webhooks/{endpoint.pk}").status_code == expected
    assert Endpoint.objects.count() == 1


def test_r1_1_another_partners_endpoint_and_deliveries_are_404_and_logged(world, api_as, allow_private):
    own, _ = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/a")
    foreign, _ = register(world.outsider[Role.PARTNER_ADMIN], "http://127.0.0.1:9/b")
    state_change(world, partner="b")
    foreign_delivery = Delivery.objects.get(endpoint=foreign)
    client = api_as(Role.PARTNER_ADMIN)
    assert [e["id"] for e in client.get("webhooks").json()["items"]] == [own.pk]
    before = SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED).count()
    assert client.get(f"webhooks/{foreign.pk}/deliveries").status_code == 404
    assert client.delete(f"webhooks/{foreign.pk}").status_code == 404
    assert client.post(f"webhooks/{foreign.pk}/deliveries/{foreign_delivery.pk}/redeliver").status_code == 404
    assert client.post(f"webhooks/{own.pk}/deliveries/{foreign_delivery.pk}/redeliver").status_code == 404
    assert SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED).count() > before
    assert Endpoint.objects.filter(pk=foreign.pk).exists()
    assert Delivery.objects.get(pk=foreign_delivery.pk).state == "pending"


def test_r12_3_delete_removes_the_endpoint_and_its_waiting_deliveries(world, api_as, allow_private):
    endpoint, _ = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/")
    state_change(world)
    assert Delivery.objects.filter(endpoint=endpoint).exists()
    response = api_as(Role.PARTNER_ADMIN).delete(f"webhooks/{endpoint.pk}")
    assert response.status_code == 204
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()


def test_r12_3_a_delivery_being_sent_cannot_be_redelivered(world, api_as, allow_private):
    endpoint, _ = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/")
    state_change(world)
    delivery = Delivery.objects.get(endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(state="sending", attempts=1)
    response = api_as(Role.PARTNER_ADMIN).post(f"webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 422 and "state" in _fields(response)


@override_settings(PARTNERDESK_WEBHOOKS_MAX_ENDPOINTS=2)
def test_r12_3_a_partner_has_a_bounded_number_of_endpoints(world, api_as, allow_private):
    client = api_as(Role.PARTNER_ADMIN)
    for n in range(2):
        assert client.post("webhooks", {"url": f"http://127.0.0.1:9/{n}", "events": ALL_EVENTS}).status_code == 201
    refused = client.post("webhooks", {"url": "http://127.0.0.1:9/3", "events": ALL_EVENTS})
    assert refused.status_code == 422 and "at most 2" in _fields(refused)["body"]


def test_r13_3_a_retried_registration_with_its_idempotency_key_creates_one_endpoint(world, api_as, allow_private):
    client = api_as(Role.PARTNER_ADMIN)
    body = {"url": "http://127.0.0.1:9/", "events": ALL_EVENTS}
    first = client.post("webhooks", body, **{"Idempotency-Key": "hook-1"})
    again = client.post("webhooks", body, **{"Idempotency-Key": "hook-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and Endpoint.objects.count() == 1
