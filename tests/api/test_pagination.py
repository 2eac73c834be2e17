"""Every API list pages with a bounded count: exact up to offset + a bound, a lower bound beyond (R12.2, R13.1)."""

from __future__ import annotations

from partnerdesk.accounts.choices import Role
from partnerdesk.api import pagination
from tests.factories import EndCustomerFactory


def test_r13_1_count_is_exact_up_to_the_bound_past_the_offset_and_says_more_beyond(world, api_as, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_BEYOND_OFFSET", 3)
    EndCustomerFactory.create_batch(7, partner=world.partner_a)  # 8 with customer_a
    client = api_as(Role.L1_AGENT)
    url = f"partners/{world.partner_a.pk}/end-customers"

    assert client.get(f"{url}?limit=2").json()["count"] == 4  # more than 0 + 3: "at least 4"
    assert client.get(f"{url}?limit=2&offset=2").json()["count"] == 6  # more than 2 + 3
    assert client.get(f"{url}?limit=2&offset=5").json()["count"] == 8  # exact: 8 <= 5 + 3
    assert client.get(f"{url}?limit=2&offset=20").json() == {"items": [], "count": 8}

    # The documented rule pages through everything: another page follows exactly when offset + limit < count.
    seen, offset = [], 0
    while True:
        body = client.get(f"{url}?limit=2&offset={offset}").json()
        seen += [item["id"] for item in body["items"]]
        if offset + 2 >= body["count"]:
            break
        offset += 2
    assert len(seen) == len(set(seen)) == 8


def test_r12_2_openapi_documents_the_bounded_count(db, client):
    document = client.get("/api/v1/openapi.json").json()
    described = [
        schema["properties"]["count"].get("description", "")
        for schema in document["components"]["schemas"].values()
        if "count" in schema.get("properties", {}) and "items" in schema["properties"]
    ]
    assert described and all("at least" in text for text in described)
    assert all(
        schema["properties"]["count"]["type"] == "integer"
        for schema in document["components"]["schemas"].values()
        if "count" in schema.get("properties", {}) and "items" in schema["properties"]
    )
