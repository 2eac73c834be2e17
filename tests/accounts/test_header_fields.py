"""Every field that ends up in a mail header is one line without control characters (R13.1, R9.6).

Issue 10 item 11: a brand sender name with CR/LF was stored, and every "appear as partner" mail failed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.accounts.services import create_partner
from partnerdesk.accounts.validation import is_one_line
from partnerdesk.contact.branding import effective_brand
from partnerdesk.contact.choices import AppearAs
from partnerdesk.contact.models import Brand
from partnerdesk.contact.outbound import send_mail_to_end_customer

ENGLISH = "Use one line without line breaks or other control characters."
GERMAN = "Verwenden Sie eine Zeile ohne Zeilenumbrüche oder andere Steuerzeichen."
HOSTILE = ["Nordlicht\r\nBcc: all@evil.example", "Nordlicht\nSupport", "Nord\x00licht", "Nord\u2028licht", "A\tB"]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["sender_name", "name"])
@pytest.mark.parametrize("value", HOSTILE)
def test_r13_1_brand_names_with_control_characters_are_refused_naming_the_field(world, api_as, field, value):
    response = api_as(Role.PARTNER_ADMIN).patch("brand", {field: value})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "message": ENGLISH}]
    assert all(is_one_line(stored) for stored in Brand.objects.values_list(field, flat=True))


@pytest.mark.django_db
def test_r13_1_brand_sender_address_with_a_line_break_is_refused(world, api_as):
    response = api_as(Role.PARTNER_ADMIN).patch("brand", {"sender_email": "a@nordlicht.example\r\nBcc: b@evil.example"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["sender_email"]


@pytest.mark.django_db
def test_r13_1_header_field_error_is_german_for_a_german_user(world, api_as):
    admin = world.user(Role.PARTNER_ADMIN)
    User.objects.filter(pk=admin.pk).update(language="de")
    response = api_as(User.objects.get(pk=admin.pk)).patch("brand", {"sender_name": "A\r\nB"})
    assert response.json()["errors"] == [{"field": "sender_name", "message": GERMAN}]


@pytest.mark.django_db
def test_r13_1_brand_page_shows_the_error_at_the_field(world):
    page = Client()
    page.force_login(world.user(Role.PARTNER_ADMIN))
    data = {
        "name": "Nordlicht",
        "sender_name": "Nordlicht\r\nBcc: all@evil.example",
        "sender_email": "",
        "signature": "",
        "primary_colour": "#0b6bcb",
        "text_colour": "#1d2733",
        "language": "de",
    }
    response = page.post("/contact/brand/", data)
    assert response.status_code == 200
    assert ENGLISH in response.content.decode()
    assert not Brand.objects.filter(sender_name__contains="evil").exists()


@pytest.mark.django_db
def test_r13_1_contact_person_and_user_names_with_line_breaks_are_refused(world, api_as):
    url = f"partners/{world.partner_a.pk}/end-customers"
    response = api_as(Role.L1_AGENT).post(url, {"name": "Kunde GmbH", "contacts": [{"name": "Erika\r\nMuster"}]})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "contacts.0.name", "message": ENGLISH}]

    response = api_as(Role.VENDOR_ADMIN).post(
        "users", {"email": "neu@vendor.example", "role": Role.L2_AGENT, "full_name": "Neu\nBcc: x@evil.example"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "full_name", "message": ENGLISH}]


@pytest.mark.django_db
def test_r13_1_partner_name_with_a_line_break_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        create_partner(acting_user=world.user(Role.VENDOR_ADMIN), name="Neu GmbH\r\nBcc: x@evil.example")
    assert refused.value.message_dict == {"name": [ENGLISH]}


@pytest.mark.django_db
@pytest.mark.parametrize("subject", ["Hallo\x00", "Hallo\u2028Welt", "Hallo\x1bWelt"])
def test_r13_1_mail_subject_with_control_characters_is_refused(subject):
    with pytest.raises(ValidationError) as refused:
        send_mail_to_end_customer(permit=None, subject=subject, body="Text")  # type: ignore[arg-type]
    assert refused.value.message_dict == {"subject": [ENGLISH]}


@pytest.mark.django_db
def test_r9_6_a_sender_name_stored_before_the_check_still_gives_a_one_line_from_header(world):
    Brand.objects.create(
        partner=world.partner_a, name="Nordlicht", sender_name="Nord\r\nlicht", sender_email="s@n.example"
    )
    sender = effective_brand(partner=world.partner_a, appear_as=AppearAs.PARTNER).sender
    assert "\r" not in sender and "\n" not in sender
