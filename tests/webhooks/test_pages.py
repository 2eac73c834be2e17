"""The webhook pages for partner admins (R12.3, R12.1, R1.1, R13.1)."""

from __future__ import annotations

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.webhooks.delivery import deliver_due
from partnerdesk.webhooks.models import Delivery, Endpoint

from .conftest import endpoint_for, register, state_change

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_r12_3_partner_admin_registers_an_endpoint_and_sees_the_secret_once(world, allow_private):
    client = _client(world.user(Role.PARTNER_ADMIN))
    page = client.get("/webhooks/")
    assert page.status_code == 200 and b'href="/webhooks/"' in page.content  # the menu entry
    response = client.post("/webhooks/", {"url": "http://127.0.0.1:9/in", "events": ["ticket.state_changed"]})
    assert response.status_code == 200
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    again = client.get("/webhooks/")
    assert "http://127.0.0.1:9/in" in again.content.decode() and endpoint.secret not in again.content.decode()


def test_r12_3_refusals_name_the_field_in_german(world):
    client = _client(world.user(Role.PARTNER_ADMIN), "de")
    response = client.post("/webhooks/", {"url": "http://10.0.0.1/", "events": ["ticket.state_changed"]})
    text = response.content.decode()
    assert response.status_code == 200 and not Endpoint.objects.exists()
    assert "Geben Sie eine URL mit https:// an; einfaches http ist nicht erlaubt." in text
    response = client.post("/webhooks/", {"url": "https://10.0.0.1/", "events": ["ticket.state_changed"]})
    assert "10.0.0.1 ist eine Loopback-, private oder reservierte Adresse" in response.content.decode()
    response = client.post("/webhooks/", {"url": "https://93.184.215.14/", "events": ["ticket.deleted"]})
    assert "ticket.deleted" in response.content.decode()  # the events field's own refusal names the value
    assert not Endpoint.objects.exists()


def test_r12_3_deliveries_page_shows_status_duration_and_answer_and_redelivers(world, receiver):
    admin = world.user(Role.PARTNER_ADMIN)
    endpoint = endpoint_for(receiver, admin)
    receiver.answers = [500]
    receiver.answer_body = '{"error": "try later"}'
    state_change(world)
    deliver_due()
    delivery = Delivery.objects.get()
    client = _client(admin)
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert delivery.message_id in page and "500" in page and " ms" in page and "try later" in page
    response = client.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.redelivery_requested
    deliver_due()
    assert len(receiver.received) == 2 and receiver.received[1].headers["webhook-id"] == delivery.message_id


def test_r12_3_partner_admin_deletes_an_endpoint(world, allow_private):
    endpoint, _ = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/")
    client = _client(world.user(Role.PARTNER_ADMIN))
    assert client.get(f"/webhooks/{endpoint.pk}/delete/").status_code == 405
    response = client.post(f"/webhooks/{endpoint.pk}/delete/")
    assert response.status_code == 302 and not Endpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.L1_AGENT, Role.VENDOR_ADMIN, Role.L2_AGENT])
def test_r1_4_other_roles_have_no_webhook_pages_and_no_menu_entry(world, role, allow_private):
    endpoint, _ = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/")
    client = _client(world.user(role))
    assert client.get("/webhooks/").status_code == 403
    assert b'href="/webhooks/"' not in client.get("/").content
    assert client.get(f"/webhooks/{endpoint.pk}/").status_code == (403 if role == Role.L1_AGENT else 404)
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == (403 if role == Role.L1_AGENT else 404)
    assert Endpoint.objects.exists()


def test_r1_1_another_partners_endpoint_is_404_on_every_page(world, allow_private):
    foreign, _ = register(world.outsider[Role.PARTNER_ADMIN], "http://127.0.0.1:9/b")
    state_change(world, partner="b")
    delivery = Delivery.objects.get()
    own, _ = register(world.user(Role.PARTNER_ADMIN), "http://127.0.0.1:9/a")
    client = _client(world.user(Role.PARTNER_ADMIN))
    assert "127.0.0.1:9/b" not in client.get("/webhooks/").content.decode()
    assert client.get(f"/webhooks/{foreign.pk}/").status_code == 404
    assert client.post(f"/webhooks/{foreign.pk}/delete/").status_code == 404
    assert client.post(f"/webhooks/{own.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404
    assert Endpoint.objects.filter(pk=foreign.pk).exists()
