"""The manual's API (R8, R12.2): sections searched and read, suggestions, the deflection figure."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets import services as ticket_services
from tests.factories import manual_section

from .test_tickets import IPSEC_TICKET


def test_r8_2_search_ranked_with_excerpts_filtered_by_product_version_language(world, manual, api_as):
    client = api_as(Role.L1_AGENT)
    body = client.get("manual/sections?q=Zertifikate&product=groupios&version=4.1&language=de").json()
    assert body["items"][0]["number"] == "5.4" and body["items"][0]["version_to"] == "4.1"
    assert all(item["language"] == "de" for item in body["items"])
    assert "<mark>" in body["items"][0]["excerpt"] and body["items"][0]["score"] > 0
    assert body["count"] == len(body["items"])
    listed = client.get("manual/sections?language=en&version=4.3&limit=100").json()
    assert [i["number"] for i in listed["items"]][:3] == ["1.1", "1.2", "1.3"]
    assert {i["versions"] if "versions" in i else i["version_from"] for i in listed["items"]} >= {"4.0", "4.3"}
    assert client.get("manual/sections?version=4.3&limit=100&language=en&product=nothing").json()["items"] == []


def test_r8_1_one_section_and_drafts_only_for_editors(world, api_as, db):
    published = manual_section()
    draft = manual_section("2.1", "Draft", "Not yet.", published=False)
    partner, editor = api_as(Role.L1_AGENT), api_as(Role.L2_AGENT)
    got = partner.get(f"manual/sections/{published.pk}").json()
    assert got["body_html"].startswith("<p>") and got["path"] == f"/manual/sections/{published.pk}/"
    assert partner.get(f"manual/sections/{draft.pk}").status_code == 404
    assert editor.get(f"manual/sections/{draft.pk}").json()["status"] == "draft"
    assert [i["id"] for i in partner.get("manual/sections").json()["items"]] == [published.pk]
    assert {i["id"] for i in editor.get("manual/sections").json()["items"]} == {published.pk, draft.pk}


def test_r8_2_suggestions_for_a_ticket_text(world, manual, api_as):
    response = api_as(Role.L1_AGENT).post(
        "manual/suggestions", {**IPSEC_TICKET, "product": "groupios", "product_version": "4.2.1", "limit": 3}
    )
    assert response.status_code == 200
    assert response.json()[0]["number"] == "7.4" and len(response.json()) == 3
    refused = api_as(Role.L1_AGENT).post("manual/suggestions", {"description": "x", "limit": 99})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "limit"


def test_r8_3_resolve_solved_with_the_manual_and_the_deflection_report(world, api_as, db):
    section = manual_section()
    draft = manual_section("2.1", "Draft", "Not yet.", published=False)
    l1 = api_as(Role.L1_AGENT)
    ticket = ticket_services.create_ticket(
        acting_user=world.user(Role.L1_AGENT), end_customer=world.customer_a, subject="Tunnel"
    )
    assert (
        l1.post(
            f"tickets/{ticket.pk}/resolve", {"solved_with_manual": True, "manual_section_ids": [draft.pk]}
        ).status_code
        == 404
    )
    resolved = l1.post(f"tickets/{ticket.pk}/resolve", {"solved_with_manual": True, "manual_section_ids": [section.pk]})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["solved_with_manual"] is True
    assert resolved.json()["manual_sections"] == [
        {"id": section.pk, "number": "7.4", "title": section.title, "language": "en", "kind": "solved"}
    ]
    today = timezone.localdate()
    period = f"from={today - timedelta(days=7)}&to={today}"
    report = api_as(Role.VENDOR_ADMIN).get(f"reports/manual-deflection?{period}").json()
    assert (report["solved_at_first_level"], report["solved_with_manual"], report["rate"]) == (1, 1, 1.0)
    assert report["from"] == str(today - timedelta(days=7))
    assert report["sections"][0]["section_id"] == section.pk
    assert api_as(Role.L1_AGENT).get(f"reports/manual-deflection?{period}").json()["partners"][0]["partner_id"] == (
        world.partner_a.pk
    )
    outsider = api_as(world.outsider[Role.L1_AGENT]).get(f"reports/manual-deflection?{period}").json()
    assert outsider["solved_at_first_level"] == 0 and outsider["partners"] == []
    backwards = api_as(Role.VENDOR_ADMIN).get(f"reports/manual-deflection?from={today}&to={today - timedelta(days=1)}")
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "to"
