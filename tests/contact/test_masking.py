"""R9.1: the vendor sees contact persons only within a current authorisation, only what a covered channel needs,
and every time it does, the partner's audit log says so (R9.4)."""

from __future__ import annotations

from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.masking import redact
from partnerdesk.contact.choices import AuditAction, Channel
from partnerdesk.contact.models import AuditEntry

from .conftest import expire


def _contacts(api_as, role, cw):
    return api_as(role).get(f"tickets/{cw.ticket.pk}/contacts")


def test_r9_1_vendor_sees_no_contact_person_without_authorisation(contact_world, api_as):
    response = _contacts(api_as, Role.L2_AGENT, contact_world)
    assert response.status_code == 200 and response.json() == []
    assert not AuditEntry.objects.filter(action=AuditAction.CONTACT_DATA_REVEALED).exists()


def test_r9_1_vendor_sees_only_covered_persons_and_only_what_the_channel_needs(contact_world, api_as):
    contact_world.grant(channels=[Channel.CALL])
    (shown,) = _contacts(api_as, Role.L2_AGENT, contact_world).json()
    assert shown["name"] == "Jens Hansen" and shown["phone"] == "+49 431 5550123" and shown["email"] == ""
    assert shown["channels"] == ["call"] and shown["appear_as"] == "partner"
    contact_world.grant(channels=[Channel.EMAIL])
    (shown,) = _contacts(api_as, Role.L3_ENGINEER, contact_world).json()
    assert shown["email"] == "jens@hansen.example" and shown["channels"] == ["call", "email"]


def test_r9_4_each_showing_is_logged_as_a_reveal(contact_world, api_as):
    contact_world.grant(channels=[Channel.EMAIL])
    _contacts(api_as, Role.L2_AGENT, contact_world)
    _contacts(api_as, Role.L2_AGENT, contact_world)
    reveals = AuditEntry.objects.filter(action=AuditAction.CONTACT_DATA_REVEALED).order_by("seq")
    assert reveals.count() == 2
    row = reveals.first()
    assert row.actor == contact_world.agent and row.ticket == contact_world.ticket
    assert row.detail["via"] == "api"
    assert row.detail["persons"] == [
        {
            "contact_person": contact_world.person.pk,
            "fields": ["email", "name"],
            "authorizations": [row.detail["persons"][0]["authorizations"][0]],
        }
    ]


def test_r9_1_expired_or_revoked_hides_the_persons_again(contact_world, api_as):
    expire(contact_world.grant())
    assert _contacts(api_as, Role.L2_AGENT, contact_world).json() == []


def test_r9_1_roles_that_never_contact_end_customers_see_nobody(contact_world, api_as):
    contact_world.grant(channels=list(Channel.values))
    for role in (Role.SALES, Role.BILLING):
        assert _contacts(api_as, role, contact_world).json() == []
    assert not AuditEntry.objects.filter(action=AuditAction.CONTACT_DATA_REVEALED).exists()


def test_r9_1_partner_sees_all_its_persons_without_a_reveal_row(contact_world, api_as):
    names = [c["name"] for c in _contacts(api_as, Role.L1_AGENT, contact_world).json()]
    assert names == ["Jens Hansen", "Maria Petersen"]
    assert not AuditEntry.objects.exists()


def test_r9_1_vendor_page_shows_covered_persons_and_logs_it(contact_world):
    client = Client()
    client.force_login(contact_world.agent)
    url = f"/contact/tickets/{contact_world.ticket.pk}/"
    page = client.get(url).content.decode()
    assert "Jens Hansen" not in page and "not authorised" in page
    contact_world.grant()
    page = client.get(url).content.decode()
    assert "Jens Hansen" in page and "jens@hansen.example" in page and "Maria Petersen" not in page
    assert AuditEntry.objects.get(action=AuditAction.CONTACT_DATA_REVEALED).detail["via"] == "page"


def test_r9_1_redaction_removes_names_addresses_and_numbers(contact_world):
    text = (
        "Hallo Herr Hansen,\nJens Hansen schrieb: ruf mich an unter 0431 555-0123 oder +49 (431) 5550123.\n"
        "Kopie an maria@hansen.example und chef@anderswo.example.\nMaria Petersen\nMobil: 0170 1234567\n"
        "Bäckerei Hansen KG\nDPD timeout after 3600 s on 10.0.0.1, build 4.2.1-20240101"
    )
    masked = redact(
        text, persons=[contact_world.person, contact_world.colleague], end_customer=contact_world.ticket.end_customer
    )
    for secret in ("Hansen", "Jens", "Maria", "Petersen", "0123", "@", "1234567", "Bäckerei"):
        assert secret not in masked, secret
    assert contact_world.ticket.end_customer.pseudonym in masked
    # Technical content stays readable.
    assert "DPD timeout after 3600 s on 10.0.0.1, build 4.2.1-20240101" in masked
