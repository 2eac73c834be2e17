"""The tickets API: a whole journey through the three levels, filters, attachments (R5.1-R5.10, R13.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.services import create_api_token
from partnerdesk.billing.selectors import contract_usage
from partnerdesk.tickets.models import Attachment, Ticket
from tests.factories import manual_section

from .conftest import COMPLETE_CAPTURE, captured_ticket

pytestmark = pytest.mark.django_db


def test_r5_whole_journey_through_the_api_each_actor_sees_only_what_it_may(world, api_as, l_contract):
    l1, vendor, outsider = api_as(Role.L1_AGENT), api_as(Role.L2_AGENT), api_as(world.outsider[Role.L1_AGENT])
    l3, admin = api_as(Role.L3_ENGINEER), api_as(Role.PARTNER_ADMIN)

    # L1 creates a ticket; the vendor cannot see it yet (R1.2), the outsider never (R1.1).
    created = l1.post(
        "tickets", {"end_customer_id": world.customer_a.pk, "subject": "VPN drops", "product": "groupios"}
    )
    assert created.status_code == 201, created.content
    ticket = created.json()
    url = f"tickets/{ticket['id']}"
    assert "description" in ticket["missing_for_escalation"]
    assert vendor.get(url).status_code == 404
    assert outsider.get(url).status_code == 404
    l1.post(f"{url}/messages", {"kind": "partner_note", "body": "Customer pays late"})

    # Escalation refused, naming every missing field at once (R5.2, R5.4).
    refused = l1.post(f"{url}/escalate", {"level": 2})
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"description", "steps_to_reproduce", "category", "manual_sections_consulted"} <= fields
    assert "product" not in fields

    # Capture completed, escalated: charged to the L contract, clocks running (R3.3, R6.3).
    capture = {k: v for k, v in COMPLETE_CAPTURE.items() if k != "product"}
    consulted = manual_section()
    patched = l1.patch(url, {**capture, "manual_section_ids": [consulted.pk]})
    assert patched.status_code == 200
    assert [(s["id"], s["kind"]) for s in patched.json()["manual_sections"]] == [(consulted.pk, "consulted")]
    # The earlier free-text field is still answered, as text made from the links.
    assert patched.json()["manual_sections_consulted"] == f"{consulted.number} {consulted.title}"
    escalated = l1.post(f"{url}/escalate", {"level": 2})
    assert escalated.status_code == 200, escalated.content
    body = escalated.json()
    assert (body["level"], body["state"], body["charged_contract_id"]) == (2, "escalated", l_contract.pk)
    assert body["first_response_due_at"] and body["due_at"]

    # The vendor sees the ticket, by pseudonym, without the partner's internal note (R1.3, R5.5).
    seen = vendor.get(url).json()
    assert seen["end_customer"] == world.customer_a.pseudonym
    assert "pays late" not in str(vendor.get(f"{url}/messages").json())
    queue = vendor.get("tickets?ordering=due&state=escalated").json()
    assert [t["id"] for t in queue["items"]] == [ticket["id"]]

    # The vendor replies and books 50 minutes: 4 units on the contract (R4.1, R4.2).
    assert vendor.post(f"{url}/messages", {"kind": "thread", "body": "Please send the IPsec log."}).status_code == 201
    booked = vendor.post(
        f"{url}/time-entries",
        {
            "started_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "minutes": 50,
            "activity": "analysis",
            "text": "Log analysis",
        },
    )
    assert booked.status_code == 201, booked.content
    assert l1.post(
        f"{url}/time-entries", {"started_at": timezone.now().isoformat(), "minutes": 5, "activity": "analysis"}
    ).status_code in (403, 404)
    usage = contract_usage(l_contract)
    assert usage.current.included_units_used == 4

    # The partner requests third level; the vendor resolves; the partner closes (R5.7, R5.8).
    assert l1.post(f"{url}/escalate", {"level": 3}).json()["state"] == "third_level"
    assert l3.post(f"{url}/resolve", {"note": "Hotfix 4.2.2"}).json()["state"] == "resolved"
    assert admin.post(f"{url}/close", {}).json()["state"] == "closed"
    history = l1.get(f"{url}/history").json()["items"]
    assert [h["to_state"] for h in history] == ["new", "escalated", "third_level", "resolved", "closed"]
    assert outsider.get(f"{url}/history").status_code == 404


def test_r5_4_vendor_may_not_escalate_and_foreign_contract_is_404(world, api_as, l_contract):
    ticket = captured_ticket(world)
    assert api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/escalate", {}).status_code == 404  # not visible yet
    from tests.contracts.conftest import make_contract

    foreign = make_contract(world, "L", partner=world.partner_b)
    response = api_as(Role.L1_AGENT).post(f"tickets/{ticket.pk}/escalate", {"contract_id": foreign.pk})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.level == 1


def test_r5_list_filters_and_ordering(world, api_as, l_contract):
    l1 = api_as(Role.L1_AGENT)
    first = captured_ticket(world)
    second = captured_ticket(world, category="installation")
    body = l1.get("tickets?category=installation").json()
    assert [t["id"] for t in body["items"]] == [second.pk]
    assert [t["id"] for t in l1.get("tickets?ordering=created_at").json()["items"]] == [first.pk, second.pk]
    assert l1.get(f"tickets?end_customer_id={world.customer_a.pk}").json()["count"] == 2
    assert l1.get("tickets?state=escalated").json()["count"] == 0
    bad = l1.get("tickets?state=nonsense&level=7")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"state.0", "level"}


def test_r13_1_ticket_list_has_a_fixed_number_of_queries(world, api_as, l_contract, django_assert_max_num_queries):
    for _ in range(5):
        captured_ticket(world)
    client = api_as(Role.L1_AGENT)
    with django_assert_max_num_queries(6):
        assert client.get("tickets").json()["count"] == 5


def _upload(client: Client, ticket: Ticket, name: str, content: bytes, content_type: str, **fields):
    return client.post(
        f"/api/v1/tickets/{ticket.pk}/attachments",
        {"file": SimpleUploadedFile(name, content, content_type=content_type), **fields},
    )


def test_r5_9_attachments_are_checked_and_served_only_to_who_may_see_them(world, l_contract):
    ticket = captured_ticket(world)
    l1 = Client(HTTP_AUTHORIZATION="Bearer " + create_api_token(acting_user=world.user(Role.L1_AGENT), name="t")[1])
    vendor = Client(HTTP_AUTHORIZATION="Bearer " + create_api_token(acting_user=world.user(Role.L2_AGENT), name="t")[1])
    outsider = Client(
        HTTP_AUTHORIZATION="Bearer " + create_api_token(acting_user=world.outsider[Role.L1_AGENT], name="t")[1]
    )

    log = _upload(l1, ticket, "ipsec.log", b"DPD timeout\n", "text/plain", kind="end_customer")
    assert log.status_code == 201, log.content
    private = _upload(l1, ticket, "notes.txt", b"internal", "text/plain", kind="partner_note")
    assert private.status_code == 201
    # A file that is not what it says it is, or too large, is refused with a field error; nothing stored.
    fake = _upload(l1, ticket, "report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf", kind="end_customer")
    assert fake.status_code == 422 and fake.json()["errors"][0]["field"] == "file"
    with override_settings(ATTACHMENT_MAX_BYTES=10):
        big = _upload(l1, ticket, "big.txt", b"x" * 11, "text/plain", kind="end_customer")
    assert big.status_code == 422
    exe = _upload(l1, ticket, "setup.exe", b"MZ", "text/plain", kind="end_customer")
    assert exe.status_code == 422
    assert Attachment.objects.count() == 2

    Client()  # the partner escalates and shares the log only (R5.5)
    l1_api = l1.post(
        f"/api/v1/tickets/{ticket.pk}/escalate",
        data={"shared_attachment_ids": [log.json()["id"]]},
        content_type="application/json",
    )
    assert l1_api.status_code == 200, l1_api.content
    names = [a["filename"] for a in vendor.get(f"/api/v1/tickets/{ticket.pk}/attachments").json()["items"]]
    assert names == ["ipsec.log"]
    download = vendor.get(log.json()["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"DPD timeout\n"
    assert vendor.get(private.json()["download_url"]).status_code == 404
    assert outsider.get(log.json()["download_url"]).status_code == 404
