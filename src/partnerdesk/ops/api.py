"""Personal-data requests in the API (issue 17 item 7): a partner admin exports or erases one contact person."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from partnerdesk.accounts import selectors
from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.schemas import acting_user

from . import personal_data

router = Router(tags=["personal data"])


class ErasedOut(Schema):
    erased: dict[str, int]


def _contact(request: HttpRequest, partner_id: int, end_customer_id: int, contact_person_id: int) -> ContactPerson:
    user: User = acting_user(request)
    customers = selectors.end_customers_visible_to(user).filter(partner_id=partner_id)
    customer = selectors.get_visible_or_404(customers, end_customer_id, user=user)
    contacts = ContactPerson.objects.filter(end_customer=customer).select_related("end_customer")
    return selectors.get_visible_or_404(contacts, contact_person_id, user=user)  # a refusal is logged (R1.5)


PATH = "/partners/{partner_id}/end-customers/{end_customer_id}/contacts/{contact_person_id}/personal-data"


@router.get(PATH, response=dict[str, Any], summary="Export a contact person's personal data (GDPR Art. 15)")
def export_personal_data(  # type: ignore[no-untyped-def]
    request: HttpRequest, partner_id: ObjectId, end_customer_id: ObjectId, contact_person_id: ObjectId
):
    contact = _contact(request, partner_id, end_customer_id, contact_person_id)
    return personal_data.export(acting_user=acting_user(request), contact=contact)


@router.post(f"{PATH}/erase", response=ErasedOut, summary="Erase a contact person's personal data (GDPR Art. 17)")
def erase_personal_data(  # type: ignore[no-untyped-def]
    request: HttpRequest, partner_id: ObjectId, end_customer_id: ObjectId, contact_person_id: ObjectId
):
    contact = _contact(request, partner_id, end_customer_id, contact_person_id)
    return {"erased": personal_data.erase(acting_user=acting_user(request), contact=contact)}
