"""Inbound mail API (R7.1, R12.2): the inbox of quarantined mail; take a mail in, pass it on, discard it."""

# No `from __future__ import annotations` here: ninja's @paginate reads the wrapped view's annotations
# from its own module.
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.accounts.models import User
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.tickets.selectors import tickets_visible_to

from . import selectors, services
from .choices import InboundOutcome, QuarantineReason
from .models import InboundMail

router = Router(tags=["inbound mail"])


class InboundMailOut(Schema):
    id: int
    message_id: str
    received_at: datetime
    from_name: str
    from_address: str
    subject: str
    new_text: str = Field(..., description="The mail's own text, quoted history and signature removed.")
    outcome: InboundOutcome
    reason: QuarantineReason | None = Field(..., description="Why it waits in the inbox.")
    detail: str
    ticket_id: int | None = Field(..., description="The ticket it was addressed to or added to, if any.")
    attachment_names: list[str]
    original_url: str = Field(..., description="The original mail as plain text.")

    @staticmethod
    def resolve_reason(obj: InboundMail) -> str | None:
        return obj.reason or None

    @staticmethod
    def resolve_original_url(obj: InboundMail) -> str:
        return f"/mail/{obj.pk}/original/"


class AcceptIn(Strict):
    ticket_id: ObjectId | None = Field(None, description="Add the mail to this ticket as an internal note.")
    end_customer_id: ObjectId | None = Field(None, description="Open a first-level ticket for this end customer.")


class PassIn(Strict):
    partner_id: ObjectId = Field(..., description="The partner whose inbox takes the mail (vendor admin).")


def _inbox(request: HttpRequest) -> tuple[User, QuerySet[InboundMail] | None]:
    user = _user(request)
    return user, selectors.inbox_of(user)


def _mail(request: HttpRequest, mail_id: int) -> InboundMail:
    user, rows = _inbox(request)
    return account_selectors.get_visible_or_404(
        rows if rows is not None else InboundMail.objects.none(), mail_id, user=user
    )


@router.get(
    "/inbox",
    response=list[InboundMailOut],
    summary="Mail waiting in your inbox (vendor admin: the vendor's; partner admin: the partner's)",
)
@paginate(LimitOffset)
def list_inbox(request: HttpRequest, discarded: bool = False):  # type: ignore[no-untyped-def]
    user, rows = _inbox(request)
    if rows is None:
        raise PermissionDenied(_("Your role does not allow this action."))
    return rows.filter(outcome=InboundOutcome.DISCARDED if discarded else InboundOutcome.QUARANTINED)


@router.get("/inbox/{mail_id}", response=InboundMailOut, summary="One mail of your inbox")
def get_inbox_mail(request: HttpRequest, mail_id: ObjectId):  # type: ignore[no-untyped-def]
    return _mail(request, mail_id)


@router.post(
    "/inbox/{mail_id}/accept",
    response=InboundMailOut,
    summary="Take the mail in: onto a ticket (as an internal note) or as a new ticket for an end customer",
)
def accept_inbox_mail(request: HttpRequest, mail_id: ObjectId, payload: AcceptIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    mail = _mail(request, mail_id)
    # Ids from outside: foreign and missing ones look the same (404), as everywhere in the API (R1.1).
    ticket = (
        account_selectors.get_visible_or_404(tickets_visible_to(user), payload.ticket_id, user=user)
        if payload.ticket_id
        else None
    )
    customer = (
        account_selectors.get_visible_or_404(
            account_selectors.end_customers_visible_to(user), payload.end_customer_id, user=user
        )
        if payload.end_customer_id
        else None
    )
    return services.accept(acting_user=user, mail=mail, ticket=ticket, end_customer=customer)


@router.post("/inbox/{mail_id}/pass", response=InboundMailOut, summary="Pass a mail of the vendor's inbox to a partner")
def pass_inbox_mail(request: HttpRequest, mail_id: ObjectId, payload: PassIn):  # type: ignore[no-untyped-def]
    user = _user(request)
    mail = _mail(request, mail_id)
    partner = account_selectors.get_visible_or_404(
        account_selectors.partners_visible_to(user), payload.partner_id, user=user
    )
    return services.pass_to_partner(acting_user=user, mail=mail, partner=partner)


@router.post("/inbox/{mail_id}/discard", response=InboundMailOut, summary="Discard a waiting mail (it can be restored)")
def discard_inbox_mail(request: HttpRequest, mail_id: ObjectId):  # type: ignore[no-untyped-def]
    return services.discard(acting_user=_user(request), mail=_mail(request, mail_id))


@router.post("/inbox/{mail_id}/restore", response=InboundMailOut, summary="Undo a discard")
def restore_inbox_mail(request: HttpRequest, mail_id: ObjectId):  # type: ignore[no-untyped-def]
    return services.restore(acting_user=_user(request), mail=_mail(request, mail_id))
