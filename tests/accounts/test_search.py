"""End-customer search looks only at what the asker is shown (R1.3, issue 10 item 9)."""

from __future__ import annotations

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role
from tests.factories import EndCustomerFactory


def _names(response) -> list[str]:
    assert response.status_code == 200
    return [item["pseudonym"] for item in response.json()["items"]]


@pytest.mark.django_db
def test_r1_3_vendor_search_does_not_match_the_hidden_city(world, api_as):
    url = f"partners/{world.partner_a.pk}/end-customers?q={world.customer_a.city}"
    assert _names(api_as(Role.VENDOR_ADMIN).get(url)) == []
    assert _names(api_as(Role.L2_AGENT).get(url)) == []
    # The partner sees the city, and finds by it.
    assert _names(api_as(Role.L1_AGENT).get(url)) == [world.customer_a.pseudonym]


@pytest.mark.django_db
def test_r1_3_vendor_search_does_not_match_a_hidden_name_but_a_revealed_one(world, api_as):
    revealed = EndCustomerFactory(partner=world.partner_a, number=2, name="Offen KG", name_revealed=True)
    api = api_as(Role.VENDOR_ADMIN)
    assert _names(api.get(f"partners/{world.partner_a.pk}/end-customers?q=Hansen")) == []
    assert _names(api.get(f"partners/{world.partner_a.pk}/end-customers?q=offen")) == [revealed.pseudonym]


@pytest.mark.django_db
def test_r1_3_vendor_finds_an_end_customer_by_its_pseudonym(world, api_as):
    other = EndCustomerFactory(partner=world.partner_a, number=12)
    api = api_as(Role.VENDOR_ADMIN)
    for text in (other.pseudonym, other.pseudonym.lower(), "C0012", "c12"):
        assert _names(api.get(f"partners/{world.partner_a.pk}/end-customers?q={text}")) == [other.pseudonym], text
    # Another partner's number in the pseudonym finds nothing here.
    assert _names(api.get(f"partners/{world.partner_a.pk}/end-customers?q=P99-C0012")) == []


@pytest.mark.django_db
def test_r1_3_vendor_search_on_the_partner_page_does_not_match_the_hidden_city(world):
    page = Client()
    page.force_login(world.user(Role.VENDOR_ADMIN))
    response = page.get(f"/partners/{world.partner_a.pk}/", {"q": world.customer_a.city})
    assert response.status_code == 200
    assert world.customer_a.pseudonym not in response.content.decode()
    found = page.get(f"/partners/{world.partner_a.pk}/", {"q": world.customer_a.pseudonym})
    assert world.customer_a.pseudonym in found.content.decode()
