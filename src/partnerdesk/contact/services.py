"""Every write to contact data: authorisations, the brand, end customers' replies, name reveals.

Each function takes the acting user (except inbound mail, which has none), checks its right, and writes
its audit row in the same transaction (R9.4). Mail goes out after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerdesk.accounts import locks as account_locks
from partnerdesk.accounts.choices import PARTNER_ROLES, NotificationKind, Role
from partnerdesk.accounts.masking import redact_for_vendor
from partnerdesk.accounts.models import ContactPerson, EndCustomer, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.accounts.validation import choose_one_of
from partnerdesk.outbox.services import enqueue
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message, Ticket

from . import locks
from .audit import append_entry, lock_chain
from .branding import brand_of
from .choices import BRAND_ROLES, GRANT_ROLES, AppearAs, AuditAction, Channel
from .models import Brand, ContactAuthorization, EndCustomerMail

logger = logging.getLogger(__name__)

LOGO_TYPES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def _ensure_partner_staff_of(acting_user: User, partner_id: int, roles: Iterable[str]) -> None:
    ensure_role(acting_user, *roles)
    if acting_user.partner_id != partner_id:
        # Selectors answer foreign ids with 404 before this; this is the last line of defence.
        raise PermissionDenied(_("Your role does not allow this action."))


# --- authorisations -------------------------------------------------------------------------------


@transaction.atomic
def grant_authorization(
    *,
    acting_user: User,
    end_customer: EndCustomer,
    ticket: Ticket | None,
    channels: Sequence[str],
    contact_persons: Sequence[ContactPerson],
    valid_until: datetime,
    appear_as: str,
) -> ContactAuthorization:
    """A partner user lets the vendor contact an end customer (R9.2): one ticket or all of the end customer's
    tickets, the chosen channels and contact persons, until `valid_until`, appearing as vendor or partner."""
    _ensure_partner_staff_of(acting_user, end_customer.partner_id, GRANT_ROLES)
    lock_chain(end_customer.partner_id)  # first, before any row the audit row points to (audit.py)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    channels = list(dict.fromkeys(channels))
    if not channels:
        errors["channels"] = [_("Choose at least one channel.")]
    elif any(c not in Channel.values for c in channels):
        errors["channels"] = [choose_one_of(Channel.values)]
    persons = list({p.pk: p for p in contact_persons}.values())
    if not persons:
        errors["contact_person_ids"] = [_("Choose at least one contact person.")]
    elif any(p.end_customer_id != end_customer.pk for p in persons):
        errors["contact_person_ids"] = [_("Choose contact persons of this end customer.")]
    if ticket is not None and (
        ticket.end_customer_id != end_customer.pk or ticket.partner_id != end_customer.partner_id
    ):
        errors["ticket_id"] = [_("Choose a ticket of this end customer.")]
    max_days = settings.CONTACT_AUTHORIZATION_MAX_DAYS
    if valid_until is None or timezone.is_naive(valid_until):
        errors["valid_until"] = [_("Enter a date and time as ISO 8601 with a time zone.")]
    elif valid_until <= now:
        errors["valid_until"] = [_("The expiry must lie in the future.")]
    elif valid_until > now + timedelta(days=max_days):
        errors["valid_until"] = [_("An authorisation lasts at most %(days)s days.") % {"days": max_days}]
    if appear_as not in AppearAs.values:
        errors["appear_as"] = [choose_one_of(AppearAs.values)]
    elif appear_as == AppearAs.PARTNER:
        brand = brand_of(end_customer.partner)
        if not (brand.sender_email or end_customer.partner.email):
            errors["appear_as"] = [_("Set a sender address in your brand settings first.")]
    if not end_customer.is_active:
        errors["end_customer_id"] = [_("This end customer is inactive.")]
    if errors:
        raise ValidationError(errors)
    authorization = ContactAuthorization.objects.create(
        partner_id=end_customer.partner_id,
        end_customer=end_customer,
        ticket=ticket,
        channels=channels,
        valid_until=valid_until,
        appear_as=appear_as,
        granted_by=acting_user,
        granted_at=now,
    )
    authorization.contact_persons.set(persons)
    append_entry(
        partner=end_customer.partner_id,
        action=AuditAction.AUTHORIZATION_GRANTED,
        actor=acting_user,
        ticket=ticket,
        end_customer=end_customer,
        authorization=authorization,
        at=now,
        detail={
            "scope": "ticket" if ticket is not None else "all_tickets",
            "channels": channels,
            "contact_persons": sorted(p.pk for p in persons),
            "valid_until": valid_until.isoformat(),
            "appear_as": appear_as,
        },
    )
    return authorization


@transaction.atomic
def revoke_authorization(*, acting_user: User, authorization: ContactAuthorization) -> ContactAuthorization:
    """Ends an authorisation at once (R9.2). Locks its row, so a contact being made waits or is refused."""
    _ensure_partner_staff_of(acting_user, authorization.partner_id, GRANT_ROLES)
    # The chain first, then the authorisation (audit.py): a send holding the chain finishes, then this wins.
    lock_chain(authorization.partner_id)
    authorization = locks.lock_authorization(authorization.pk)
    if authorization.revoked_at is not None:
        return authorization
    now = timezone.now()
    was = authorization.state_at(now)
    authorization.revoked_at, authorization.revoked_by = now, acting_user
    authorization.save(update_fields=["revoked_at", "revoked_by"])
    append_entry(
        partner=authorization.partner_id,
        action=AuditAction.AUTHORIZATION_REVOKED,
        actor=acting_user,
        ticket=authorization.ticket,
        end_customer=authorization.end_customer,
        authorization=authorization,
        at=now,
        detail={"was": was},
    )
    return authorization


# --- the end customer's name (R1.3) ----------------------------------------------------------------


@transaction.atomic
def set_end_customer_name_revealed(*, acting_user: User, end_customer: EndCustomer, revealed: bool) -> EndCustomer:
    """The partner shows the end customer's organisation name to the vendor, or hides it again (R1.3); each
    change writes its audit row in the same transaction (R9.4). No change, no row."""
    _ensure_partner_staff_of(acting_user, end_customer.partner_id, PARTNER_ROLES)
    lock_chain(end_customer.partner_id)  # first, before the end customer's row (audit.py)
    end_customer = account_locks.lock_end_customer(end_customer.pk)
    if end_customer.name_revealed == bool(revealed):
        return end_customer
    end_customer.name_revealed = bool(revealed)
    end_customer.save(update_fields=["name_revealed"])
    append_entry(
        partner=end_customer.partner_id,
        action=AuditAction.END_CUSTOMER_NAME_REVEALED if revealed else AuditAction.END_CUSTOMER_NAME_HIDDEN,
        actor=acting_user,
        end_customer=end_customer,
        detail={"pseudonym": end_customer.pseudonym},
    )
    return end_customer


# --- brand (R9.6) ---------------------------------------------------------------------------------

BRAND_FIELDS = ("name", "sender_name", "sender_email", "signature", "primary_colour", "text_colour", "language")


def _editable_brand(acting_user: User) -> Brand:
    ensure_role(acting_user, *BRAND_ROLES)
    if acting_user.partner is None:
        raise PermissionDenied(_("Your role does not allow this action."))
    Brand.objects.get_or_create(
        partner=acting_user.partner,
        defaults={"name": acting_user.partner.name, "sender_email": acting_user.partner.email},
    )
    return locks.lock_brand(acting_user.partner.pk)


def _checked_logo(upload: UploadedFile) -> tuple[bytes, str]:
    limit = settings.BRAND_LOGO_MAX_BYTES
    if not upload.size or upload.size > limit:
        raise ValidationError({"logo": _("Use an image of at most %(kb)s KB.") % {"kb": limit // 1024}})
    data = upload.read()
    content_type = next((t for t, heads in LOGO_TYPES.items() if data.startswith(heads)), None)
    if content_type is None:
        raise ValidationError({"logo": _("Use a PNG, JPEG or GIF image.")})
    return data, content_type


@transaction.atomic
def update_brand(
    *, acting_user: User, changes: dict[str, Any], logo: UploadedFile | None = None, remove_logo: bool = False
) -> Brand:
    """The partner admin sets how the partner appears to its end customers: all of it or nothing."""
    brand = _editable_brand(acting_user)
    unknown = set(changes) - set(BRAND_FIELDS)
    if unknown:
        raise ValidationError({field: _("Unknown field.") for field in sorted(unknown)})
    for name, value in changes.items():
        setattr(brand, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, list[str]] = {}
    try:
        brand.full_clean(exclude=["partner", "logo"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if logo is not None:
        try:
            brand.logo, brand.logo_content_type = _checked_logo(logo)
        except ValidationError as error:
            errors.update(error.message_dict)
    elif remove_logo:
        brand.logo, brand.logo_content_type = None, ""
    if errors:
        raise ValidationError(errors)
    brand.save()
    return brand


def set_brand_logo(*, acting_user: User, upload: UploadedFile | None) -> Brand:
    """A PNG, JPEG or GIF up to the configured size; `None` removes the logo."""
    return update_brand(acting_user=acting_user, changes={}, logo=upload, remove_logo=upload is None)


# --- end customers' replies (R9.5) ----------------------------------------------------------------


@transaction.atomic
def record_end_customer_reply(
    *,
    ticket: Ticket,
    from_address: str,
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str = "",
    references: Iterable[str] = (),
) -> EndCustomerMail:
    """An end customer's mail on a ticket (called by inbound mail, which matched the ticket): attached to
    the ticket, and the partner is told through the outbox. The same Message-ID is stored once (R7.1).

    The vendor sees the reply (with contact data masked) only when it answers a mail the vendor sent under
    an authorisation that is still current; otherwise it is the partner's alone.
    """
    message_id = (message_id or "").strip()
    if not message_id:
        raise ValidationError({"message_id": _("This field is required.")})
    existing = EndCustomerMail.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing
    lock_chain(ticket.partner_id)  # first (audit.py)
    ticket = Ticket.objects.select_related("partner", "end_customer").get(pk=ticket.pk)
    address = parseaddr(from_address)[1].lower()
    person = (
        ContactPerson.objects.filter(end_customer_id=ticket.end_customer_id, email__iexact=address).first()
        if address
        else None
    )
    answered_ids = [m.strip() for m in [in_reply_to, *references] if m and m.strip()]
    answered = (
        EndCustomerMail.objects.filter(
            ticket=ticket, direction=EndCustomerMail.Direction.OUTBOUND, message_id__in=answered_ids
        )
        .select_related("authorization")
        .order_by("-created_at", "-pk")
        .first()
        if answered_ids
        else None
    )
    authorization = answered.authorization if answered is not None else None
    shared = bool(
        authorization is not None
        and authorization.is_current()
        and person is not None
        and authorization.contact_persons.filter(pk=person.pk).exists()
    )
    text = f"{subject.strip()}\n\n{body.strip()}".strip()
    message = Message.objects.create(
        ticket=ticket,
        kind=MessageKind.END_CUSTOMER,
        author=None,
        # Both sides read the message; the vendor must not learn who wrote it (R9.1).
        author_name=_("End customer %(pseudonym)s") % {"pseudonym": ticket.end_customer.pseudonym}
        if shared
        else (person.name if person is not None else address)[:200],
        body=redact_for_vendor(text, end_customer=ticket.end_customer) if shared else text,
        shared_with_vendor=shared,
    )
    mail = EndCustomerMail.objects.create(
        ticket=ticket,
        direction=EndCustomerMail.Direction.INBOUND,
        ticket_message=message,
        authorization=authorization,
        contact_person=person,
        message_id=message_id[:300],
        in_reply_to=(in_reply_to or "")[:300],
        from_address=from_address[:300],
        to_address="",
        subject=subject[:300],
        body=body,
        status=EndCustomerMail.Status.RECEIVED,
    )
    append_entry(
        partner=ticket.partner_id,
        action=AuditAction.END_CUSTOMER_REPLIED,
        ticket=ticket,
        end_customer=ticket.end_customer,
        authorization=authorization,
        channel=Channel.EMAIL,
        detail={
            "mail": mail.pk,
            "message": message.pk,
            "contact_person": person.pk if person is not None else None,
            "answers_vendor_mail": answered.pk if answered is not None else None,
            "shared_with_vendor": shared,
        },
    )
    notify_partner_of_reply(mail)
    return mail


def notify_partner_of_reply(mail: EndCustomerMail) -> int:
    """Tell the partner's administrators (or the partner's address) about an end customer's reply: outbox rows
    written in the reply's transaction. They carry the full reply, so the outbox page hides them (R9.1)."""
    ticket = mail.ticket
    admins = list(User.objects.filter(partner_id=ticket.partner_id, role=Role.PARTNER_ADMIN, is_active=True))
    # Admins who switched these notices off are not told; the partner's address only when it has no admin.
    recipients: list[tuple[str, str]] = [
        (u.email, u.language) for u in admins if u.wants_notification(NotificationKind.END_CUSTOMER_REPLY)
    ]
    if not admins and ticket.partner.email:
        recipients = [(ticket.partner.email, "")]
    for address, language in recipients:
        with translation.override(language or settings.LANGUAGE_CODE):
            subject = _("Reply from your end customer on ticket #%(id)s") % {"id": ticket.pk}
            text = render_to_string(
                "contact/partner/reply_notification.txt",
                {
                    "ticket": ticket,
                    "mail": mail,
                    "shared": mail.ticket_message.shared_with_vendor if mail.ticket_message else False,
                },
            )
        enqueue(
            kind="reply_notice",
            message=EmailMessage(subject=subject, body=text, to=[address]),
            reference=f"contact.EndCustomerMail:{mail.pk}",
            confidential=True,
        )
    return len(recipients)
