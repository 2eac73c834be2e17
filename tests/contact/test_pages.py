"""The partner's pages (R9.2 grant and revoke, R9.6 brand) and the vendor's page to write to an end customer (R9.3)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.contact.choices import AuditAction
from partnerdesk.contact.models import AuditEntry, Brand, ContactAuthorization, EndCustomerMail
from partnerdesk.outbox.delivery import deliver_due

from .conftest import PNG


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_r9_2_partner_grants_and_revokes_on_its_pages(contact_world):
    client = _client(contact_world.world.user(Role.L1_AGENT))
    customer = contact_world.ticket.end_customer
    form = client.get(f"/contact/end-customers/{customer.pk}/authorize/?ticket={contact_world.ticket.pk}")
    assert form.status_code == 200 and "Maria Petersen" in form.content.decode()
    response = client.post(
        f"/contact/end-customers/{customer.pk}/authorize/",
        {
            "ticket": contact_world.ticket.pk,
            "channels": ["email", "web_meeting"],
            "contact_persons": [contact_world.colleague.pk],
            "valid_until": timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "appear_as": "partner",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/contact/tickets/{contact_world.ticket.pk}/"
    authorization = ContactAuthorization.objects.get()
    assert authorization.channels == ["email", "web_meeting"]
    assert list(authorization.contact_persons.all()) == [contact_world.colleague]
    page = client.get(response["Location"]).content.decode()
    assert "Maria Petersen" in page and "current" in page
    listing = client.get("/contact/authorizations/").content.decode()
    assert "Maria Petersen" in listing and customer.name in listing
    client.post(f"/contact/authorizations/{authorization.pk}/revoke/", {"next": "/contact/authorizations/"})
    authorization.refresh_from_db()
    assert authorization.revoked_at is not None
    assert [e.action for e in AuditEntry.objects.order_by("seq")] == [
        AuditAction.AUTHORIZATION_GRANTED,
        AuditAction.AUTHORIZATION_REVOKED,
    ]


def test_r13_1_grant_page_shows_field_errors(contact_world):
    client = _client(contact_world.world.user(Role.L1_AGENT))
    past = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/contact/end-customers/{contact_world.ticket.end_customer_id}/authorize/",
        {
            "channels": ["email"],
            "contact_persons": [contact_world.person.pk],
            "valid_until": past,
            "appear_as": "vendor",
        },
    )
    assert response.status_code == 200 and "The expiry must lie in the future." in response.content.decode()
    assert not ContactAuthorization.objects.exists()


def test_r9_2_the_chooser_leads_to_the_end_customers_grant_page(contact_world):
    client = _client(contact_world.world.user(Role.PARTNER_ADMIN))
    customer_id = contact_world.ticket.end_customer_id
    response = client.get(f"/contact/authorizations/new/?end_customer_id={customer_id}")
    assert response["Location"] == f"/contact/end-customers/{customer_id}/authorize/"
    assert (
        client.get(f"/contact/authorizations/new/?end_customer_id={contact_world.world.customer_b.pk}").status_code
        == 404
    )


def test_r9_6_partner_admin_sets_the_brand_with_a_logo(world):
    client = _client(world.user(Role.PARTNER_ADMIN))
    assert client.get("/contact/brand/").status_code == 200
    response = client.post(
        "/contact/brand/",
        {
            "name": "Nordlicht IT",
            "sender_name": "Nordlicht Support",
            "sender_email": "hilfe@nordlicht.example",
            "signature": "Nordlicht IT GmbH",
            "primary_colour": "#112233",
            "text_colour": "#000000",
            "language": "en",
            "logo_upload": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    brand = Brand.objects.get(partner=world.partner_a)
    assert brand.sender_email == "hilfe@nordlicht.example" and bytes(brand.logo) == PNG
    assert brand.logo_content_type == "image/png" and brand.language == "en"
    assert "data:image/png;base64," in client.get("/contact/brand/").content.decode()
    bad = client.post(
        "/contact/brand/",
        {
            "name": "X",
            "primary_colour": "red",
            "text_colour": "#000000",
            "language": "de",
            "logo_upload": SimpleUploadedFile("logo.png", b"<svg/>", content_type="image/png"),
        },
    )
    assert bad.status_code == 200 and "Enter a colour as #rrggbb." in bad.content.decode()
    bad = client.post(
        "/contact/brand/",
        {
            "name": "X",
            "primary_colour": "#000000",
            "text_colour": "#000000",
            "language": "de",
            "logo_upload": SimpleUploadedFile("logo.png", b"<svg/>", content_type="image/png"),
        },
    )
    assert "Use a PNG, JPEG or GIF image." in bad.content.decode()
    assert Brand.objects.get(partner=world.partner_a).name == "Nordlicht IT"


def test_r1_4_only_the_partner_admin_edits_the_brand(world, api_as):
    for role in (Role.L1_AGENT, Role.L2_AGENT, Role.VENDOR_ADMIN):
        assert _client(world.user(role)).get("/contact/brand/").status_code == 403
    assert api_as(Role.L1_AGENT).patch("brand", {"name": "Mine"}).status_code == 403
    response = api_as(Role.PARTNER_ADMIN).patch("brand", {"name": "Mine", "primary_colour": "#abcdef"})
    assert response.status_code == 200 and response.json()["name"] == "Mine"
    assert api_as(Role.L1_AGENT).get("brand").json()["primary_colour"] == "#abcdef"
    assert api_as(Role.L2_AGENT).get("brand").status_code == 404
    bad = api_as(Role.PARTNER_ADMIN).patch("brand", {"primary_colour": "blue"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "primary_colour"


def test_r9_3_vendor_writes_from_the_page_only_with_authorisation(
    contact_world, smtp_server, django_capture_on_commit_callbacks
):
    client = _client(contact_world.agent)
    url = f"/contact/tickets/{contact_world.ticket.pk}/mail/"
    data = {"contact_person": contact_world.person.pk, "subject": "VPN", "body": "Bitte neu starten."}
    response = client.post(url, data, follow=True)
    assert "The partner has not authorised contact" in response.content.decode()
    assert AuditEntry.objects.get(action=AuditAction.CONTACT_REFUSED).detail["reason"] == "no_authorization"
    contact_world.grant()
    assert "Write to the end customer" in client.get(f"/contact/tickets/{contact_world.ticket.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data, follow=True)
    assert "The mail is on its way." in response.content.decode()
    assert EndCustomerMail.objects.get().status == "queued" and smtp_server.envelopes == []
    deliver_due()  # the outbox worker's round
    assert EndCustomerMail.objects.get().status == "sent" and len(smtp_server.envelopes) == 1


def test_r1_4_navigation_shows_contact_to_those_who_use_it(world):
    for role, shown in ((Role.L1_AGENT, True), (Role.L2_AGENT, True), (Role.SALES, False), (Role.BILLING, False)):
        page = _client(world.user(role)).get("/contact/audit-log/" if shown else "/").content.decode()
        assert ('href="/contact/authorizations/"' in page) is shown, role
