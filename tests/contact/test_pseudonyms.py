"""R1.3: the vendor sees an end customer by a stable pseudonym; revealing the name (and hiding it again) is the
partner's choice and goes into its audit log (R9.4). Editing an end customer keeps its unchanged contact persons
(and so the authorisations that name them)."""

from __future__ import annotations

from partnerdesk.accounts.choices import Role
from partnerdesk.contact.choices import AuditAction
from partnerdesk.contact.models import AuditEntry


def test_r1_3_pseudonym_is_stable_and_the_name_hidden_by_default(contact_world, api_as):
    customer = contact_world.ticket.end_customer
    url = f"partners/{customer.partner_id}/end-customers/{customer.pk}"
    before = api_as(Role.L2_AGENT).get(url).json()
    assert before["name"] == before["pseudonym"] == customer.pseudonym
    api_as(Role.L1_AGENT).patch(
        url, {"city": "Kiel", "contacts": [{"name": "Jens Hansen", "email": "jens@hansen.example"}]}
    )
    assert api_as(Role.L2_AGENT).get(url).json()["pseudonym"] == customer.pseudonym


def test_r1_3_revealing_and_hiding_the_name_is_logged(contact_world, api_as):
    customer = contact_world.ticket.end_customer
    url = f"partners/{customer.partner_id}/end-customers/{customer.pk}"
    client = api_as(Role.L1_AGENT)
    client.patch(url, {"name_revealed": True})
    assert api_as(Role.L2_AGENT).get(url).json()["name"] == "Bäckerei Hansen KG"
    client.patch(url, {"name_revealed": True})  # no change, no row
    client.patch(url, {"name_revealed": False})
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.action for r in rows] == [AuditAction.END_CUSTOMER_NAME_REVEALED, AuditAction.END_CUSTOMER_NAME_HIDDEN]
    assert rows[0].actor == contact_world.world.user(Role.L1_AGENT) and rows[0].end_customer == customer
    assert rows[0].detail == {"pseudonym": customer.pseudonym}


def test_r1_3_a_new_end_customer_created_revealed_is_logged(world, api_as):
    response = api_as(Role.L1_AGENT).post(
        f"partners/{world.partner_a.pk}/end-customers", {"name": "Praxis Dr. Wolff", "name_revealed": True}
    )
    assert response.status_code == 201
    assert AuditEntry.objects.get().action == AuditAction.END_CUSTOMER_NAME_REVEALED


def test_r9_2_editing_an_end_customer_keeps_unchanged_persons_and_their_authorisations(contact_world, api_as):
    authorization = contact_world.grant(contact_persons=[contact_world.person, contact_world.colleague])
    customer = contact_world.ticket.end_customer
    person, colleague = contact_world.person, contact_world.colleague
    api_as(Role.L1_AGENT).patch(
        f"partners/{customer.partner_id}/end-customers/{customer.pk}",
        {
            "city": "Kiel",
            "contacts": [
                {"name": person.name, "email": person.email, "phone": person.phone},
                {"name": colleague.name, "email": "new@hansen.example", "phone": colleague.phone},
            ],
        },
    )
    # The unchanged person keeps its row and stays authorised; the changed one is a new person (fail closed).
    assert list(authorization.contact_persons.values_list("pk", flat=True)) == [person.pk]
    assert customer.contacts.filter(pk=person.pk).exists() and not customer.contacts.filter(pk=colleague.pk).exists()


def test_r1_3_name_reveal_is_the_contact_service_and_accounts_cannot_change_it(contact_world):
    import pytest
    from django.core.exceptions import PermissionDenied, ValidationError

    from partnerdesk.accounts import services as account_services
    from partnerdesk.contact.services import set_end_customer_name_revealed

    customer = contact_world.ticket.end_customer
    agent = contact_world.world.user(Role.L1_AGENT)
    with pytest.raises(ValidationError):  # accounts no longer writes the audited field
        account_services.update_end_customer(acting_user=agent, end_customer=customer, changes={"name_revealed": True})
    with pytest.raises(PermissionDenied):  # the vendor cannot reveal a partner's customer
        set_end_customer_name_revealed(acting_user=contact_world.agent, end_customer=customer, revealed=True)
    revealed = set_end_customer_name_revealed(acting_user=agent, end_customer=customer, revealed=True)
    assert revealed.name_revealed
    set_end_customer_name_revealed(acting_user=agent, end_customer=customer, revealed=True)  # no change, no row
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [AuditAction.END_CUSTOMER_NAME_REVEALED]


def test_r1_3_revealing_the_name_on_the_page_is_logged(contact_world):
    from django.test import Client
    from django.urls import reverse

    customer = contact_world.ticket.end_customer
    client = Client()
    client.force_login(contact_world.world.user(Role.L1_AGENT))
    url = reverse("web:end_customer", args=[customer.partner_id, customer.pk])
    form = {
        "name": customer.name,
        "name_revealed": "on",
        "street": "",
        "postal_code": "",
        "city": "Kiel",
        "country": "DE",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.name_revealed and customer.city == "Kiel"
    (row,) = AuditEntry.objects.all()
    assert row.action == AuditAction.END_CUSTOMER_NAME_REVEALED and row.end_customer == customer
    # A failing change of another field rolls the reveal back with it.
    response = client.post(url, {**form, "name_revealed": "", "name": ""})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name_revealed and AuditEntry.objects.count() == 1


def test_r1_3_a_new_end_customer_created_revealed_on_the_page_is_logged(world):
    from django.test import Client
    from django.urls import reverse

    from partnerdesk.accounts.models import EndCustomer

    client = Client()
    client.force_login(world.user(Role.L1_AGENT))
    response = client.post(
        reverse("web:end_customer_create", args=[world.partner_a.pk]),
        {
            "name": "Praxis Dr. Wolff",
            "name_revealed": "on",
            "country": "DE",
            "is_active": "on",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = EndCustomer.objects.get(name="Praxis Dr. Wolff")
    assert customer.name_revealed
    assert AuditEntry.objects.get().end_customer == customer
