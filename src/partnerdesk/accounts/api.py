"""Accounts API: who am I, partners, end customers, users, personal API tokens."""

# No `from __future__ import annotations` here: ninja's @paginate reads the wrapped view's annotations
# from its own module, where a name such as ObjectId is unknown.
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Body, Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StrictBool

from partnerdesk.api.fields import Moment, ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.api.schemas import asker as _asker
from partnerdesk.channels import user_invitations
from partnerdesk.contact import services as contact_services

from . import selectors, services
from .models import EndCustomer

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    organisation: str
    role: str
    partner_id: int | None
    partner_name: str | None
    language: str


class PartnerOut(Schema):
    id: int
    number: int
    code: str
    name: str
    city: str
    country: str
    is_active: bool

    @staticmethod
    def resolve_country(obj: Any) -> str:
        return str(obj.country)


class ContactIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=50)


class ContactOut(Schema):
    id: int
    name: str
    email: str
    phone: str


class EndCustomerIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    name_revealed: bool = False
    street: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=20)
    city: str = Field("", max_length=100)
    country: str = Field("DE", min_length=2, max_length=2)
    contacts: list[ContactIn] = []


class EndCustomerPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    name_revealed: bool | None = None
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, min_length=2, max_length=2)
    is_active: bool | None = None
    contacts: list[ContactIn] | None = None


class EndCustomerOut(Schema):
    """For the vendor, `name` is the pseudonym unless revealed, and `contacts` is empty (R1.3, R9.1)."""

    id: int
    partner_id: int
    pseudonym: str
    name: str
    name_revealed: bool
    city: str
    country: str
    is_active: bool
    contacts: list[ContactOut]

    @staticmethod
    def resolve_name(obj: EndCustomer, context: dict[str, Any]) -> str:
        return obj.name if _asker(context).is_partner or obj.name_revealed else obj.pseudonym

    @staticmethod
    def resolve_city(obj: EndCustomer, context: dict[str, Any]) -> str:
        return obj.city if _asker(context).is_partner else ""

    @staticmethod
    def resolve_country(obj: EndCustomer) -> str:
        return str(obj.country)

    @staticmethod
    def resolve_contacts(obj: EndCustomer, context: dict[str, Any]) -> list[Any]:
        return list(obj.contacts.all()) if _asker(context).is_partner else []


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    organisation: str
    partner_id: int | None
    role: str
    is_active: bool


class UserIn(Strict):
    email: str = Field(..., min_length=3, max_length=254)
    full_name: str = Field("", max_length=200)
    role: str
    partner_id: ObjectId | None = None
    language: str = Field("", max_length=5)
    invite: StrictBool = Field(True, description="Mail the user a link to choose a password (through the outbox).")


class RoleIn(Strict):
    role: str


class PartnerIn(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    street: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=20)
    city: str = Field("", max_length=100)
    country: str = Field("DE", min_length=2, max_length=2)
    vat_id: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    admin_email: str = Field(..., min_length=3, max_length=254, description="The first partner admin, invited by mail.")
    admin_name: str = Field("", max_length=200)
    admin_language: str = Field("", max_length=5)


class ActiveIn(Strict):
    is_active: bool


class TokenIn(Strict):
    name: str = Field(..., min_length=1, max_length=100)
    expires_at: Moment | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="Shown once; only its hash is stored.")


@router.get("/me", response=MeOut, summary="The authenticated user")
def get_me(request: HttpRequest) -> MeOut:
    user = _user(request)
    return MeOut(
        id=user.pk,
        email=user.email,
        full_name=user.full_name,
        organisation=user.organisation,
        role=user.role,
        partner_id=user.partner_id,
        partner_name=user.partner.name if user.partner else None,
        language=user.language,
    )


def _switches(user: Any) -> dict[str, bool]:
    return {kind: kind not in (user.notifications_off or []) for kind in user.notification_kinds}


NOTIFICATION_SWITCHES = (
    "One entry per kind of notification mail your role receives: true = mailed, false = switched off. Kinds: "
    "vendor_message, ticket_escalated, ticket_handed_back, ticket_third_level, ticket_resolved, partner_message, "
    "quota_threshold, breach_risk, end_customer_reply."
)


@router.get(
    "/me/notifications",
    response=dict[str, bool],
    summary="Your notification switches",
    description=NOTIFICATION_SWITCHES,
)
def get_notification_switches(request: HttpRequest) -> dict[str, bool]:
    return _switches(_user(request))


@router.put(
    "/me/notifications",
    response=dict[str, bool],
    summary="Switch kinds of notification mail on or off",
    description=NOTIFICATION_SWITCHES + " Kinds not named keep their switch; an unknown kind is a field error.",
)
def put_notification_switches(request: HttpRequest, switches: Body[dict[str, bool]]) -> dict[str, bool]:
    user = _user(request)
    problems = {kind: [p] for kind in switches if (p := services.notification_kind_problem(user, kind))}
    if problems:
        raise ValidationError(problems)  # each unknown kind is the field named (R13.1)
    kinds_off = {k for k in user.notification_kinds if k in (user.notifications_off or [])}
    kinds_off |= {kind for kind, on in switches.items() if not on}
    kinds_off -= {kind for kind, on in switches.items() if on}
    return _switches(services.set_notification_switches(acting_user=user, kinds_off=kinds_off))


@router.get("/partners", response=list[PartnerOut], summary="Partners the user may see")
@paginate(LimitOffset)
def list_partners(request: HttpRequest, q: str = ""):  # type: ignore[no-untyped-def]
    partners = selectors.partners_visible_to(_user(request))
    if q.strip():
        partners = partners.filter(name__icontains=q.strip())
    return partners


@router.post(
    "/partners",
    response={201: PartnerOut},
    summary="Create a partner with its first partner admin, who is invited by mail (vendor admin, Sales)",
)
def create_partner(request: HttpRequest, payload: PartnerIn):  # type: ignore[no-untyped-def]
    values = payload.model_dump()
    partner, _admin = user_invitations.onboard_partner(
        acting_user=_user(request), base_url=request.build_absolute_uri("/"), **values
    )
    return Status(201, partner)


@router.get("/partners/{partner_id}", response=PartnerOut, summary="One partner")
def get_partner(request: HttpRequest, partner_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    return selectors.get_visible_or_404(selectors.partners_visible_to(user), partner_id, user=user)


@router.post("/partners/{partner_id}/active", response=PartnerOut, summary="Enable or disable a partner")
def set_partner_active(request: HttpRequest, partner_id: ObjectId, payload: ActiveIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    partner = selectors.get_visible_or_404(selectors.partners_visible_to(user), partner_id, user=user)
    return services.set_partner_active(acting_user=user, partner=partner, active=payload.is_active)


@router.get(
    "/partners/{partner_id}/end-customers",
    response=list[EndCustomerOut],
    summary="End customers of a partner (pseudonymised for the vendor)",
)
@paginate(LimitOffset)
def list_end_customers(request: HttpRequest, partner_id: ObjectId, q: str = ""):  # type: ignore[no-untyped-def]
    user = _user(request)
    partner = selectors.get_visible_or_404(selectors.partners_visible_to(user), partner_id, user=user)
    end_customers = selectors.end_customers_visible_to(user).filter(partner=partner).prefetch_related("contacts")
    end_customers = selectors.search_end_customers(end_customers, q, user=user)
    return end_customers


@router.post("/partners/{partner_id}/end-customers", response={201: EndCustomerOut}, summary="Add an end customer")
def create_end_customer(request: HttpRequest, partner_id: ObjectId, payload: EndCustomerIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    partner = selectors.get_visible_or_404(selectors.partners_visible_to(user), partner_id, user=user)
    data = payload.model_dump()
    contacts = data.pop("contacts")
    revealed = data.pop("name_revealed")
    with transaction.atomic():
        end_customer = services.create_end_customer(acting_user=user, partner=partner, contacts=contacts, **data)
        if revealed:  # an audited reveal (R9.4), in the same transaction as the new end customer
            end_customer = contact_services.set_end_customer_name_revealed(
                acting_user=user, end_customer=end_customer, revealed=True
            )
    return Status(201, end_customer)


@router.get(
    "/partners/{partner_id}/end-customers/{end_customer_id}",
    response=EndCustomerOut,
    summary="One end customer",
)
def get_end_customer(request: HttpRequest, partner_id: ObjectId, end_customer_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    queryset = selectors.end_customers_visible_to(user).filter(partner_id=partner_id)
    return selectors.get_visible_or_404(queryset, end_customer_id, user=user)


@router.patch(
    "/partners/{partner_id}/end-customers/{end_customer_id}",
    response=EndCustomerOut,
    summary="Change an end customer",
)
def update_end_customer(  # type: ignore[no-untyped-def]
    request: HttpRequest, partner_id: ObjectId, end_customer_id: ObjectId, payload: EndCustomerPatch
):
    user = _user(request)
    queryset = selectors.end_customers_visible_to(user).filter(partner_id=partner_id)
    end_customer = selectors.get_visible_or_404(queryset, end_customer_id, user=user)
    changes = payload.model_dump(exclude_unset=True)
    contacts = changes.pop("contacts", None)
    changes = {k: v for k, v in changes.items() if v is not None}
    revealed = changes.pop("name_revealed", None)
    with transaction.atomic():
        # The reveal first: it takes the audit chain's lock before the end customer's row (one lock order).
        if revealed is not None:
            contact_services.set_end_customer_name_revealed(
                acting_user=user, end_customer=end_customer, revealed=revealed
            )
        end_customer = services.update_end_customer(
            acting_user=user, end_customer=end_customer, changes=changes, contacts=contacts
        )
    return end_customer


@router.get("/users", response=list[UserOut], summary="Users the caller may manage")
@paginate(LimitOffset)
def list_users(request: HttpRequest, q: str = ""):  # type: ignore[no-untyped-def]
    users = selectors.users_visible_to(_user(request))
    if q.strip():
        users = users.filter(email__icontains=q.strip())
    return users


@router.post("/users", response={201: UserOut}, summary="Create a user")
def create_user(request: HttpRequest, payload: UserIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    partner = None
    if payload.partner_id is not None:
        partner = selectors.get_visible_or_404(selectors.partners_visible_to(user), payload.partner_id, user=user)
    values = {
        "acting_user": user,
        "email": payload.email,
        "role": payload.role,
        "partner": partner,
        "full_name": payload.full_name,
        "language": payload.language,
    }
    if payload.invite:
        created = user_invitations.invite_user(**values, base_url=request.build_absolute_uri("/"))
    else:
        created = services.create_user(**values)
    return Status(201, created)


@router.post("/users/{user_id}/role", response=UserOut, summary="Change a user's role within its organisation")
def set_user_role(request: HttpRequest, user_id: ObjectId, payload: RoleIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    target = selectors.get_visible_or_404(selectors.users_visible_to(user), user_id, user=user)
    return services.set_user_role(acting_user=user, user=target, role=payload.role)


@router.post(
    "/users/{user_id}/invitation",
    response={202: UserOut},
    summary="Mail a user who has no password yet a new set-password link",
)
def resend_invitation(request: HttpRequest, user_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    target = selectors.get_visible_or_404(selectors.users_visible_to(user), user_id, user=user)
    return Status(
        202, user_invitations.resend_invitation(acting_user=user, user=target, base_url=request.build_absolute_uri("/"))
    )


@router.post("/users/{user_id}/active", response=UserOut, summary="Enable or disable a user")
def set_user_active(request: HttpRequest, user_id: ObjectId, payload: ActiveIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    target = selectors.get_visible_or_404(selectors.users_visible_to(user), user_id, user=user)
    return services.set_user_active(acting_user=user, user=target, active=payload.is_active)


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
@paginate(LimitOffset)
def list_tokens(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.api_tokens_of(_user(request))


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create a personal API token")
def create_token(request: HttpRequest, payload: TokenIn):  # type: ignore[no-untyped-def]
    token, raw = services.create_api_token(acting_user=_user(request), name=payload.name, expires_at=payload.expires_at)
    return Status(
        201,
        TokenCreatedOut(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            token=raw,
        ),
    )


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="Revoke one of your API tokens")
def revoke_token(request: HttpRequest, token_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    token = selectors.get_visible_or_404(selectors.api_tokens_of(user), token_id, user=user)
    return services.revoke_api_token(acting_user=user, token=token)
