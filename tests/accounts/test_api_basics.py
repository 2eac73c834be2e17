"""The API skeleton: identity, partners, end customers, errors, pagination (R1.1-R1.4, R12.2, R13.1)."""

from __future__ import annotations

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import EndCustomer


def test_r12_2_me_names_the_user(world, api_as):
    response = api_as(Role.L1_AGENT).get("me")
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "l1_agent@a.example"
    assert body["partner_id"] == world.partner_a.pk
    assert body["role"] == "l1_agent"


def test_r1_1_partner_sees_only_its_own_partner(world, api_as):
    body = api_as(Role.L1_AGENT).get("partners").json()
    assert [p["id"] for p in body["items"]] == [world.partner_a.pk]
    assert body["count"] == 1


def test_r1_2_vendor_sees_all_partners(world, api_as):
    body = api_as(Role.SALES).get("partners").json()
    assert {p["id"] for p in body["items"]} == {world.partner_a.pk, world.partner_b.pk}


def test_r1_3_vendor_sees_end_customer_as_pseudonym_without_contacts(world, api_as):
    body = api_as(Role.L2_AGENT).get(f"partners/{world.partner_a.pk}/end-customers").json()
    (row,) = body["items"]
    assert row["name"] == world.customer_a.pseudonym
    assert row["pseudonym"] == f"P{world.partner_a.number:02d}-C0001"
    assert row["contacts"] == []
    assert "Hansen" not in str(body)


def test_r1_3_partner_reveals_name_to_vendor(world, api_as):
    url = f"partners/{world.partner_a.pk}/end-customers/{world.customer_a.pk}"
    assert api_as(Role.L1_AGENT).patch(url, {"name_revealed": True}).status_code == 200
    row = api_as(Role.L2_AGENT).get(url).json()
    assert row["name"] == "Bäckerei Hansen KG"
    assert row["contacts"] == []


def test_r1_1_partner_sees_own_contacts(world, api_as):
    url = f"partners/{world.partner_a.pk}/end-customers/{world.customer_a.pk}"
    row = api_as(Role.L1_AGENT).get(url).json()
    assert row["contacts"][0]["name"] == "Jens Hansen"


def test_r5_1_partner_creates_end_customer_with_next_number(world, api_as):
    response = api_as(Role.L1_AGENT).post(
        f"partners/{world.partner_a.pk}/end-customers",
        {"name": "Praxis Dr. Wolff", "contacts": [{"name": "Katrin Wolff", "email": "kw@wolff.example"}]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["pseudonym"].endswith("-C0002")
    assert body["contacts"][0]["email"] == "kw@wolff.example"


def test_r1_4_vendor_may_not_create_end_customers(world, api_as):
    response = api_as(Role.VENDOR_ADMIN).post(f"partners/{world.partner_a.pk}/end-customers", {"name": "X"})
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not EndCustomer.objects.filter(name="X").exists()


def test_r13_1_bad_input_names_every_field(world, api_as):
    response = api_as(Role.L1_AGENT).post(
        f"partners/{world.partner_a.pk}/end-customers",
        {"name": "", "country": "Germany", "contacts": [{"email": 5}], "colour": "red"},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "country", "contacts.0.name", "contacts.0.email", "colour"} <= fields
    assert EndCustomer.objects.filter(partner=world.partner_a).count() == 1


def test_r13_1_invalid_email_in_contact_is_a_field_error_and_nothing_is_written(world, api_as):
    response = api_as(Role.L1_AGENT).post(
        f"partners/{world.partner_a.pk}/end-customers",
        {"name": "Neu GmbH", "contacts": [{"name": "A", "email": "not-an-address"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contacts.0.email"
    assert not EndCustomer.objects.filter(name="Neu GmbH").exists()


def test_r13_1_errors_are_in_german_for_german_clients(world, api_as):
    response = api_as(Role.L1_AGENT).post(
        f"partners/{world.partner_a.pk}/end-customers", {}, **{"Accept-Language": "de"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "name",
        "message": "Dieses Feld ist zwingend erforderlich.",
    }


def test_r12_2_pagination_limits_and_counts(world, api_as):
    client = api_as(Role.L1_AGENT)
    for index in range(5):
        client.post(f"partners/{world.partner_a.pk}/end-customers", {"name": f"Kunde {index}"})
    body = client.get(f"partners/{world.partner_a.pk}/end-customers?limit=2&offset=2").json()
    assert body["count"] == 6
    assert len(body["items"]) == 2
    assert client.get(f"partners/{world.partner_a.pk}/end-customers?limit=0").status_code == 422


def test_r12_2_unauthenticated_is_401_with_error_shape(db, client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_r12_2_openapi_document_is_published(db, client):
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in document["paths"]
    assert "/api/v1/partners/{partner_id}/end-customers" in document["paths"]
