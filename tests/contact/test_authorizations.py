"""R9.2: partners grant contact authorisations (ticket or end customer, channels, persons, expiry, how the vendor
appears) and revoke them at once; R9.4: both go into the audit log; R1.1: other partners' look missing."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.contact.choices import AuditAction
from partnerdesk.contact.models import AuditEntry, ContactAuthorization
from tests.factories import ContactPersonFactory


def _payload(cw, **overrides):
    payload = {
        "end_customer_id": cw.ticket.end_customer_id,
        "ticket_id": cw.ticket.pk,
        "channels": ["email", "call"],
        "contact_person_ids": [cw.person.pk],
        "valid_until": (timezone.now() + timedelta(days=3)).isoformat(),
        "appear_as": "partner",
    }
    payload.update(overrides)
    return payload


def test_r9_2_partner_grants_for_one_ticket_channels_persons_until_expiry(contact_world, api_as):
    response = api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ticket_id"] == contact_world.ticket.pk and body["channels"] == ["email", "call"]
    assert body["contact_person_ids"] == [contact_world.person.pk]
    assert body["contact_persons"][0]["name"] == "Jens Hansen"
    assert body["state"] == "current" and body["appear_as"] == "partner"
    granted = AuditEntry.objects.get(action=AuditAction.AUTHORIZATION_GRANTED)
    assert granted.authorization_id == body["id"] and granted.actor == contact_world.world.user(Role.L1_AGENT)
    assert granted.detail["channels"] == ["email", "call"] and granted.detail["scope"] == "ticket"
    assert granted.detail["contact_persons"] == [contact_world.person.pk]


def test_r9_2_partner_grants_for_all_tickets_of_an_end_customer(contact_world, api_as):
    response = api_as(Role.PARTNER_ADMIN).post("authorizations", _payload(contact_world, ticket_id=None))
    assert response.status_code == 201
    assert response.json()["ticket_id"] is None
    assert AuditEntry.objects.get(action=AuditAction.AUTHORIZATION_GRANTED).detail["scope"] == "all_tickets"


def test_r9_2_vendor_sees_who_is_covered_by_id_only(contact_world, api_as):
    contact_world.grant()
    body = api_as(Role.L2_AGENT).get("authorizations").json()
    (row,) = body["items"]
    assert row["contact_person_ids"] == [contact_world.person.pk] and row["contact_persons"] == []
    assert row["end_customer"] == contact_world.ticket.end_customer.pseudonym
    assert "Hansen" not in str(body) and "@" not in str(body)
    assert api_as(Role.SALES).get("authorizations").json()["count"] == 0


def test_r13_1_grant_names_every_bad_field(contact_world, api_as):
    response = api_as(Role.L1_AGENT).post(
        "authorizations",
        _payload(
            contact_world,
            channels=[],
            contact_person_ids=[],
            valid_until=(timezone.now() - timedelta(hours=1)).isoformat(),
        ),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"channels", "contact_person_ids", "valid_until"} <= fields
    too_long = (timezone.now() + timedelta(days=400)).isoformat()
    response = api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world, valid_until=too_long))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "valid_until"
    response = api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world, channels=["fax"]))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "channels.0"
    assert not ContactAuthorization.objects.exists() and not AuditEntry.objects.exists()


def test_r9_2_a_ticket_of_another_end_customer_is_refused(contact_world, api_as):
    from tests.factories import EndCustomerFactory

    from .conftest import escalated_ticket

    other = EndCustomerFactory(partner=contact_world.world.partner_a, number=7)
    ticket = escalated_ticket(contact_world.world.partner_a, other)
    response = api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world, ticket_id=ticket.pk))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "ticket_id"
    person = ContactPersonFactory(end_customer=other)
    response = api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world, contact_person_ids=[person.pk]))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "contact_person_ids"


def test_r9_6_appear_as_partner_needs_a_sender_address(contact_world, api_as):
    contact_world.brand.sender_email = ""
    contact_world.brand.save()
    partner = contact_world.world.partner_a
    partner.email = ""
    partner.save()
    response = api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "appear_as"
    assert api_as(Role.L1_AGENT).post("authorizations", _payload(contact_world, appear_as="vendor")).status_code == 201


def test_r1_4_vendor_cannot_grant(contact_world, api_as):
    # The vendor cannot even name the person (404), and with no person it is refused by role (403).
    assert api_as(Role.L2_AGENT).post("authorizations", _payload(contact_world)).status_code == 404
    response = api_as(Role.VENDOR_ADMIN).post("authorizations", _payload(contact_world, contact_person_ids=[]))
    assert response.status_code == 403
    assert not ContactAuthorization.objects.exists()


def test_r9_2_revoke_ends_it_at_once_and_is_logged(contact_world, api_as):
    authorization = contact_world.grant()
    response = api_as(Role.PARTNER_ADMIN).post(f"authorizations/{authorization.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["state"] == "revoked" and response.json()["revoked_at"]
    again = api_as(Role.PARTNER_ADMIN).post(f"authorizations/{authorization.pk}/revoke")
    assert again.status_code == 200
    revoked = AuditEntry.objects.filter(action=AuditAction.AUTHORIZATION_REVOKED)
    assert revoked.count() == 1 and revoked.get().detail == {"was": "current"}
    assert api_as(Role.L2_AGENT).post(f"authorizations/{authorization.pk}/revoke").status_code == 403


def test_r1_1_other_partners_authorisations_look_missing(contact_world, api_as):
    authorization = contact_world.grant()
    outsider = api_as(contact_world.world.outsider[Role.L1_AGENT])
    assert outsider.get(f"authorizations/{authorization.pk}").status_code == 404
    assert outsider.post(f"authorizations/{authorization.pk}/revoke").status_code == 404
    assert outsider.get("authorizations").json()["count"] == 0
    ContactAuthorization.objects.get(pk=authorization.pk, revoked_at__isnull=True)


def test_r9_2_filters_current_and_ended(contact_world, api_as):
    from .conftest import expire

    expire(contact_world.grant())
    current = contact_world.grant(contact_persons=[contact_world.colleague])
    client = api_as(Role.L1_AGENT)
    assert [a["id"] for a in client.get("authorizations?current=true").json()["items"]] == [current.pk]
    assert client.get("authorizations?current=false").json()["items"][0]["state"] == "expired"
    assert client.get(f"authorizations?ticket_id={contact_world.ticket.pk}").json()["count"] == 2


def test_r12_2_list_of_authorisations_has_a_fixed_number_of_queries(contact_world, api_as):
    client = api_as(Role.L1_AGENT)
    contact_world.grant()
    client.get("authorizations")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert client.get("authorizations").status_code == 200
    for _ in range(5):
        contact_world.grant(contact_persons=[contact_world.person, contact_world.colleague], ticket=None)
    with CaptureQueriesContext(connection) as many:
        assert client.get("authorizations").json()["count"] == 6
    assert len(many.captured_queries) == len(few.captured_queries)
