"""Set-password links by mail: inviting a user (also a new partner's first admin), a reset for a
forgotten password. Above accounts and the outbox: the users are accounts', the mail is the outbox's.

The link carries Django's password-reset token (``default_token_generator``): it is bound to the user's
current password hash and last login, so it works once, and it expires after ``PASSWORD_RESET_TIMEOUT``.
The mail goes through the outbox in the caller's transaction and is marked confidential: the outbox page
never shows the link to anyone but its addressee.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from partnerdesk.accounts import services as account_services
from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import Partner, User
from partnerdesk.accounts.services import log_security_event
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.outbox.services import enqueue

INVITATION = "invitation"
PASSWORD_RESET = "password_reset"  # noqa: S105 (an outbox kind, not a secret)
RESET_INTERVAL = timedelta(minutes=15)


def set_password_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("web:password_set", kwargs={"uidb64": uid, "token": token})


def _mail(user: User, *, kind: str, base_url: str) -> EmailMessage:
    link = f"{(settings.PARTNERDESK_BASE_URL or base_url).rstrip('/')}{set_password_path(user)}"
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86_400)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        if kind == INVITATION:
            organisation = user.partner.name if user.partner_id else _("the vendor's support team")
            subject = _("Your access to the support desk")
            first = _("You have been invited to the support desk of %(organisation)s.") % {"organisation": organisation}
        else:
            subject = _("Set a new password for the support desk")
            first = _("Someone asked to set a new password for this address. If it was not you, ignore this mail.")
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.full_name or user.email},
                first,
                _("Choose your password here (the link works once and expires in %(days)s days):") % {"days": days},
                link,
            ]
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_set_password_mail(user: User, *, kind: str, base_url: str = "") -> None:
    """Enqueue the invitation or reset mail of ``user`` in the current transaction."""
    message = _mail(user, kind=kind, base_url=base_url)
    enqueue(kind=kind, message=message, reference=f"accounts.User:{user.pk}", confidential=True)


@transaction.atomic
def invite_user(
    *,
    acting_user: User,
    email: str,
    role: str,
    partner: Partner | None = None,
    full_name: str = "",
    language: str = "",
    base_url: str = "",
) -> User:
    """Create the user without a password and mail it a set-password link (vendor admin; a partner
    admin for its own partner)."""
    user = account_services.create_user(
        acting_user=acting_user, email=email, role=role, partner=partner, full_name=full_name, language=language
    )
    send_set_password_mail(user, kind=INVITATION, base_url=base_url)
    log_security_event(event=SecurityEvent.USER_INVITED, user=acting_user, detail=f"user {user.pk} {user.email}")
    return user


@transaction.atomic
def resend_invitation(*, acting_user: User, user: User, base_url: str = "") -> User:
    """A new set-password link for a user who has not chosen a password yet."""
    account_services.ensure_manages(acting_user, user)
    if user.has_usable_password():
        raise ValidationError({"user": _("This user has chosen a password already; they can ask for a new one.")})
    if not user.is_active:
        raise ValidationError({"user": _("Enable the user first.")})
    send_set_password_mail(user, kind=INVITATION, base_url=base_url)
    log_security_event(event=SecurityEvent.USER_INVITED, user=acting_user, detail=f"user {user.pk} {user.email}")
    return user


@transaction.atomic
def request_password_reset(*, email: str, base_url: str = "") -> None:
    """Mail a set-password link to the active user of an active organisation with that address.

    The caller answers the same whether or not such a user exists, so the form tells nobody who has an
    account; the request is logged either way.
    """
    address = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=address, is_active=True).select_related("partner").first()
    if user is not None and (user.partner is None or user.partner.is_active):
        # One link per address and quarter hour: the form cannot be used to flood someone's mailbox.
        recent = OutboxMessage.objects.filter(
            kind=PASSWORD_RESET,
            reference=f"accounts.User:{user.pk}",
            created_at__gte=timezone.now() - RESET_INTERVAL,
        ).exists()
        if not recent:
            send_set_password_mail(user, kind=PASSWORD_RESET, base_url=base_url)
    else:
        user = None
    log_security_event(
        event=SecurityEvent.PASSWORD_RESET_REQUESTED,
        user=user,
        username=address[:150],
        detail="" if user is not None else "no active user with this address",
    )


@transaction.atomic
def onboard_partner(
    *,
    acting_user: User,
    name: str,
    admin_email: str,
    admin_name: str = "",
    admin_language: str = "",
    base_url: str = "",
    **fields: Any,
) -> tuple[Partner, User]:
    """A new partner and its first partner admin, invited by mail: all or nothing (vendor admin, Sales)."""
    account_services.ensure_role(acting_user, Role.VENDOR_ADMIN, Role.SALES)
    partner = account_services.create_partner(acting_user=acting_user, name=name, **fields)
    try:
        admin = account_services.create_user(
            acting_user=None,
            email=admin_email,
            role=Role.PARTNER_ADMIN,
            partner=partner,
            full_name=admin_name,
            language=admin_language,
        )
    except ValidationError as error:  # the admin's fields are named as the caller sent them
        names = {"email": "admin_email", "full_name": "admin_name", "language": "admin_language"}
        raise ValidationError({names.get(k, k): v for k, v in error.message_dict.items()}) from error
    send_set_password_mail(admin, kind=INVITATION, base_url=base_url)
    log_security_event(event=SecurityEvent.USER_INVITED, user=acting_user, detail=f"user {admin.pk} {admin.email}")
    return partner, admin
