"""Contact API: authorisations, the ticket's contacts (reveals logged), mail to end customers through the gate,
the audit log and its export, the partner's brand (SPEC section 9)."""

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.masking import redact_for_vendor
from partnerdesk.api.fields import Moment, ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.api.schemas import asker as _asker
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to

from . import audit_rows, selectors, services
from .branding import brand_of
from .choices import AppearAs, AuditAction, Channel
from .gate import authorize_contact
from .models import AuditEntry, Brand, ContactAuthorization, EndCustomerMail
from .outbound import send_mail_to_end_customer

router = Router(tags=["contact"])


def _ticket(request: HttpRequest, ticket_id: ObjectId) -> Ticket:
    user = _user(request)
    return account_selectors.get_visible_or_404(tickets_visible_to(user), ticket_id, user=user)


# --- authorisations -------------------------------------------------------------------------------


class AuthorizationIn(Strict):
    end_customer_id: ObjectId
    ticket_id: ObjectId | None = Field(None, description="Empty: all tickets of the end customer")
    # Checked by the service after the ids are resolved (a foreign id is a 404, never a 422).
    channels: list[Channel] = Field(..., description="At least one")
    contact_person_ids: list[ObjectId] = Field(..., description="At least one person of the end customer")
    valid_until: Moment
    appear_as: AppearAs = Field(..., description="How the vendor appears to the end customer")


class PersonOut(Schema):
    id: int
    name: str
    email: str
    phone: str


class AuthorizationOut(Schema):
    """For the vendor: who is covered by id only; the data itself comes from /tickets/{id}/contacts (logged)."""

    id: int
    partner_id: int
    end_customer_id: int
    end_customer: str
    ticket_id: int | None
    channels: list[str]
    contact_person_ids: list[int]
    contact_persons: list[PersonOut] = Field(..., description="Partner only; empty for the vendor")
    valid_until: datetime
    appear_as: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None
    state: Literal["current", "expired", "revoked", "pending"]

    @staticmethod
    def resolve_end_customer(obj: ContactAuthorization, context: dict[str, Any]) -> str:
        customer = obj.end_customer
        return customer.name if _asker(context).is_partner or customer.name_revealed else customer.pseudonym

    @staticmethod
    def resolve_contact_person_ids(obj: ContactAuthorization) -> list[int]:
        return [p.pk for p in obj.contact_persons.all()]

    @staticmethod
    def resolve_contact_persons(obj: ContactAuthorization, context: dict[str, Any]) -> list[Any]:
        return list(obj.contact_persons.all()) if _asker(context).is_partner else []

    @staticmethod
    def resolve_granted_by(obj: ContactAuthorization, context: dict[str, Any]) -> str:
        return str(obj.granted_by) if _asker(context).is_partner else obj.end_customer.partner.name

    @staticmethod
    def resolve_state(obj: ContactAuthorization) -> str:
        return obj.state_at(timezone.now())


class AuthorizationFilters(Schema):
    ticket_id: ObjectId | None = None
    end_customer_id: ObjectId | None = None
    current: bool | None = Field(None, description="true: only current ones; false: only ended ones")


@router.get("/authorizations", response=list[AuthorizationOut], summary="Contact authorisations you may see (R9.2)")
@paginate(LimitOffset)
def list_authorizations(request: HttpRequest, filters: Query[AuthorizationFilters]):  # type: ignore[no-untyped-def]
    authorizations = selectors.authorizations_visible_to(_user(request))
    if filters.ticket_id is not None:
        authorizations = authorizations.filter(ticket_id=filters.ticket_id)
    if filters.end_customer_id is not None:
        authorizations = authorizations.filter(end_customer_id=filters.end_customer_id)
    if filters.current is not None:
        now = timezone.now()
        current = {"revoked_at__isnull": True, "valid_until__gt": now, "granted_at__lte": now}
        authorizations = authorizations.filter(**current) if filters.current else authorizations.exclude(**current)
    return authorizations


@router.post(
    "/authorizations",
    response={201: AuthorizationOut},
    summary="Let the vendor contact an end customer (partner users, R9.2)",
)
def grant_authorization(request: HttpRequest, payload: AuthorizationIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    end_customer = account_selectors.get_visible_or_404(
        account_selectors.end_customers_visible_to(user), payload.end_customer_id, user=user
    )
    ticket = _ticket(request, payload.ticket_id) if payload.ticket_id is not None else None
    persons = account_selectors.get_all_visible_or_404(
        account_selectors.contact_persons_visible_to(user), payload.contact_person_ids, user=user
    )
    authorization = services.grant_authorization(
        acting_user=user,
        end_customer=end_customer,
        ticket=ticket,
        channels=[str(c) for c in payload.channels],
        contact_persons=persons,
        valid_until=payload.valid_until,
        appear_as=payload.appear_as,
    )
    return Status(201, selectors.authorizations_visible_to(user).get(pk=authorization.pk))


def _authorization(request: HttpRequest, authorization_id: ObjectId) -> ContactAuthorization:
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.authorizations_visible_to(user), authorization_id, user=user)


@router.get("/authorizations/{authorization_id}", response=AuthorizationOut, summary="One authorisation")
def get_authorization(request: HttpRequest, authorization_id: ObjectId):  # type: ignore[no-untyped-def]
    return _authorization(request, authorization_id)


@router.post(
    "/authorizations/{authorization_id}/revoke", response=AuthorizationOut, summary="End an authorisation at once"
)
def revoke_authorization(request: HttpRequest, authorization_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    authorization = services.revoke_authorization(
        acting_user=user, authorization=_authorization(request, authorization_id)
    )
    return selectors.authorizations_visible_to(user).get(pk=authorization.pk)


# --- the ticket's contacts and mail to them -------------------------------------------------------


class ShownContactOut(Schema):
    id: int
    name: str
    email: str = Field(..., description="Empty unless a covered channel needs it")
    phone: str = Field(..., description="Empty unless a covered channel needs it")
    channels: list[str]
    valid_until: datetime | None
    appear_as: str


@router.get(
    "/tickets/{ticket_id}/contacts",
    response=list[ShownContactOut],
    summary="The ticket's contact persons you may see; for the vendor only authorised ones, each view logged",
)
def list_ticket_contacts(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    return selectors.contacts_shown_to(user, _ticket(request, ticket_id), via="api")


class EndCustomerMailIn(Strict):
    contact_person_id: ObjectId
    subject: str = Field(..., min_length=1, max_length=250)
    body: str = Field(..., min_length=1, max_length=100_000)


class EndCustomerMailOut(Schema):
    """No addresses: those are the partner's (R9.1)."""

    id: int
    ticket_id: int
    ticket_message_id: int | None
    direction: str
    contact_person_id: int | None
    appear_as: str
    subject: str
    status: str
    created_at: datetime
    delivered_at: datetime | None

    @staticmethod
    def resolve_subject(obj: EndCustomerMail, context: dict[str, Any]) -> str:
        if _asker(context).is_partner:
            return obj.subject
        return redact_for_vendor(obj.subject, end_customer=obj.ticket.end_customer)


@router.get(
    "/tickets/{ticket_id}/end-customer-mails",
    response=list[EndCustomerMailOut],
    summary="Mail between the vendor and the ticket's end customer",
)
@paginate(LimitOffset)
def list_end_customer_mails(request: HttpRequest, ticket_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    return (
        selectors.end_customer_mails_visible_to(user, _ticket(request, ticket_id))
        .select_related("ticket__end_customer__partner")
        .prefetch_related("ticket__end_customer__contacts")
    )


@router.post(
    "/tickets/{ticket_id}/end-customer-mails",
    response={201: EndCustomerMailOut},
    summary="The vendor writes to an authorised contact person (refused and logged without authorisation, R9.3)",
)
def send_end_customer_mail(request: HttpRequest, ticket_id: ObjectId, payload: EndCustomerMailIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    ticket = _ticket(request, ticket_id)
    person = account_selectors.get_visible_or_404(
        selectors.contact_person_of_ticket(ticket), payload.contact_person_id, user=user
    )
    permit = authorize_contact(acting_user=user, ticket=ticket, contact_person=person, channel=Channel.EMAIL)
    mail = send_mail_to_end_customer(permit=permit, subject=payload.subject, body=payload.body)
    return Status(201, EndCustomerMail.objects.select_related("ticket__end_customer__partner").get(pk=mail.pk))


# --- the audit log --------------------------------------------------------------------------------


class AuditEntryOut(Schema):
    id: int
    partner_id: int
    seq: int
    at: datetime
    action: str
    actor_id: int | None
    actor: str = Field(..., description="E-mail, role and organisation at the time")
    ticket_id: int | None
    end_customer_id: int | None
    authorization_id: int | None
    channel: str
    detail: dict[str, Any] = Field(..., description="Ids and codes only, never contact data")
    prev_hash: str
    hash: str

    @staticmethod
    def resolve_actor(obj: AuditEntry) -> str:
        return obj.actor_label


class AuditFilters(Schema):
    action: AuditAction | None = None
    ticket_id: ObjectId | None = None
    end_customer_id: ObjectId | None = None
    since: Moment | None = None
    until: Moment | None = None


def _audit_entries(request: HttpRequest, filters: AuditFilters) -> Any:
    entries = selectors.audit_entries_visible_to(_user(request))
    if filters.action is not None:
        entries = entries.filter(action=filters.action)
    if filters.ticket_id is not None:
        entries = entries.filter(ticket_id=filters.ticket_id)
    if filters.end_customer_id is not None:
        entries = entries.filter(end_customer_id=filters.end_customer_id)
    if filters.since is not None:
        entries = entries.filter(at__gte=filters.since)
    if filters.until is not None:
        entries = entries.filter(at__lt=filters.until)
    return entries


@router.get(
    "/audit-log",
    response=list[AuditEntryOut],
    summary="The audit log: partners their own, the vendor's admin all (R9.4)",
)
@paginate(LimitOffset)
def list_audit_log(request: HttpRequest, filters: Query[AuditFilters]):  # type: ignore[no-untyped-def]
    return _audit_entries(request, filters)


@router.get("/audit-log/export", response={200: None}, summary="The audit log as CSV (UTF-8)")
def export_audit_log(request: HttpRequest, filters: Query[AuditFilters]) -> HttpResponse:
    user = _user(request)
    rows = audit_rows.rows_for(user, _audit_entries(request, filters).order_by("partner_id", "seq"))
    response = HttpResponse(audit_rows.csv_of(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


# --- the brand ------------------------------------------------------------------------------------


class BrandOut(Schema):
    partner_id: int
    name: str
    sender_name: str
    sender_email: str
    signature: str
    primary_colour: str
    text_colour: str
    language: str
    has_logo: bool

    @staticmethod
    def resolve_has_logo(obj: Brand) -> bool:
        return bool(obj.logo)


class BrandPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    sender_name: str | None = Field(None, max_length=200)
    sender_email: str | None = Field(None, max_length=254)
    signature: str | None = Field(None, max_length=2000)
    primary_colour: str | None = Field(None, max_length=7)
    text_colour: str | None = Field(None, max_length=7)
    language: Literal["de", "en"] | None = None


def _own_brand(request: HttpRequest) -> Brand:
    user = _user(request)
    if user.partner is None:
        raise Http404
    return brand_of(user.partner)


@router.get("/brand", response=BrandOut, summary="Your partner's brand towards its end customers (R9.6)")
def get_brand(request: HttpRequest) -> Brand:
    return _own_brand(request)


@router.patch("/brand", response=BrandOut, summary="Change your partner's brand (partner admin)")
def update_brand(request: HttpRequest, payload: BrandPatch) -> Brand:
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.update_brand(acting_user=_user(request), changes=changes)


@router.post("/brand/logo", response=BrandOut, summary="Upload the brand's logo (PNG, JPEG or GIF)")
def upload_brand_logo(request: HttpRequest, logo: File[UploadedFile]) -> Brand:
    return services.set_brand_logo(acting_user=_user(request), upload=logo)


@router.delete("/brand/logo", response=BrandOut, summary="Remove the brand's logo")
def delete_brand_logo(request: HttpRequest) -> Brand:
    return services.set_brand_logo(acting_user=_user(request), upload=None)
