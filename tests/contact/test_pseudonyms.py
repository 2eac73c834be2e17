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
