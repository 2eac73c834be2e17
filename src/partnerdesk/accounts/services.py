"""Every write to accounts data: plain keyword-only functions that check the acting user's right."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import locks
from .choices import PARTNER_ROLES, VENDOR_ROLES, NotificationKind, OrganisationKind, Role, SecurityEvent
from .models import ApiToken, ContactPerson, EndCustomer, Partner, User, UserSession

# Callers log through the services; the bounded writing lives in security_log.py.
from .security_log import log_security_event as log_security_event

TOKEN_PREFIX = "pd_"  # noqa: S105 (a marker, not a secret)


def ensure_role(user: User, *roles: str) -> None:
    """Refuse with 403 when the acting user has none of the roles (R1.4)."""
    if not user.is_active or user.role not in roles:
        raise PermissionDenied(_("Your role does not allow this action."))


def _clean(instance: Any, exclude: Iterable[str] = ()) -> None:
    """Model validation as field errors, before anything is written (R13.1)."""
    instance.full_clean(exclude=list(exclude), validate_unique=True)


# --- partners -----------------------------------------------------------------------------------


# Two creators may read the same highest number; the unique constraint decides and the loser takes the next.
_NUMBERING_ATTEMPTS = 20


@transaction.atomic
def create_partner(*, acting_user: User, name: str, **fields: Any) -> Partner:
    """A new partner; without a number given it gets the next free one, also under parallel creation."""
    ensure_role(acting_user, Role.VENDOR_ADMIN, Role.SALES)
    given = fields.pop("number", None)
    for _attempt in range(_NUMBERING_ATTEMPTS):
        number = given if given is not None else (Partner.objects.aggregate(m=Max("number"))["m"] or 0) + 1
        partner = Partner(name=name, number=number, **fields)
        _clean(partner, exclude=() if given is not None else ("number",))  # a free number: the insert decides
        try:
            with transaction.atomic():  # a savepoint: a lost race rolls back only this insert
                partner.save()
        except IntegrityError:
            if given is not None or not Partner.objects.filter(number=number).exists():
                raise
            continue
        return partner
    raise ValidationError({"number": _("No free partner number was found; try again.")})


@transaction.atomic
def set_partner_active(*, acting_user: User, partner: Partner, active: bool) -> Partner:
    """Disabling a partner ends all its users' sessions and API tokens at once (R1.5)."""
    ensure_role(acting_user, Role.VENDOR_ADMIN)
    partner = locks.lock_partner(partner.pk)
    partner.is_active = active
    partner.save(update_fields=["is_active"])  # the post_save receiver ends sessions and tokens
    log_security_event(
        event=SecurityEvent.PARTNER_ENABLED if active else SecurityEvent.PARTNER_DISABLED,
        user=acting_user,
        detail=f"partner {partner.pk} {partner.name}",
    )
    return partner


# --- end customers ------------------------------------------------------------------------------

# `name_revealed` is not here: revealing the name to the vendor is audited, so it belongs to
# `contact.services.set_end_customer_name_revealed` (R1.3, R9.4).
END_CUSTOMER_FIELDS = ("name", "street", "postal_code", "city", "country", "is_active")


def _ensure_partner_staff_of(acting_user: User, partner: Partner) -> None:
    ensure_role(acting_user, *PARTNER_ROLES)
    if acting_user.partner_id != partner.pk:
        # Selectors answer foreign ids with 404 before this; this is the last line of defence.
        raise PermissionDenied(_("Your role does not allow this action."))


def _replace_contacts(end_customer: EndCustomer, contacts: Iterable[Mapping[str, Any]]) -> None:
    errors: dict[str, list[str]] = {}
    new = []
    for index, data in enumerate(contacts):
        contact = ContactPerson(end_customer=end_customer, **data)
        try:
            contact.full_clean(exclude=["end_customer"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(f"contacts.{index}.{field}", []).extend(messages)
        new.append(contact)
    if errors:
        raise ValidationError(errors)
    # Unchanged persons keep their row (and so the contact authorisations that name them, R9.2).
    keep: set[int] = set()
    existing = {(c.name, c.email, c.phone): c.pk for c in end_customer.contacts.all()}
    created = []
    for contact in new:
        pk = existing.pop((contact.name, contact.email, contact.phone), None)
        if pk is None:
            created.append(contact)
        else:
            keep.add(pk)
    end_customer.contacts.exclude(pk__in=keep).delete()
    ContactPerson.objects.bulk_create(created)


@transaction.atomic
def create_end_customer(
    *,
    acting_user: User,
    partner: Partner,
    name: str,
    contacts: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> EndCustomer:
    """A partner adds one of its customers; the number (and so the pseudonym) is fixed for life."""
    _ensure_partner_staff_of(acting_user, partner)
    unknown = set(fields) - set(END_CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({field: _("Unknown field.") for field in sorted(unknown)})
    # NO KEY UPDATE: it serialises the numbering, and never blocks an audit row's key check on the partner.
    locked = locks.lock_partner(partner.pk, no_key=True)
    number = (EndCustomer.objects.filter(partner=locked).aggregate(m=Max("number"))["m"] or 0) + 1
    end_customer = EndCustomer(partner=locked, number=number, name=name, **fields)
    _clean(end_customer)
    end_customer.save()
    _replace_contacts(end_customer, contacts)
    return end_customer


@transaction.atomic
def update_end_customer(
    *,
    acting_user: User,
    end_customer: EndCustomer,
    changes: Mapping[str, Any],
    contacts: Iterable[Mapping[str, Any]] | None = None,
) -> EndCustomer:
    _ensure_partner_staff_of(acting_user, end_customer.partner)
    unknown = set(changes) - set(END_CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError({field: _("Unknown field.") for field in sorted(unknown)})
    end_customer = locks.lock_end_customer(end_customer.pk)
    for field, value in changes.items():
        setattr(end_customer, field, value)
    _clean(end_customer)
    end_customer.save()
    if contacts is not None:
        _replace_contacts(end_customer, contacts)
    return end_customer


# --- users --------------------------------------------------------------------------------------


@transaction.atomic
def create_user(
    *,
    acting_user: User | None,
    email: str,
    role: str,
    password: str | None = None,
    partner: Partner | None = None,
    full_name: str = "",
    language: str = "",
) -> User:
    """Vendor admins create anyone; partner admins create users of their own partner.

    `acting_user=None` is the command line (an operator on the server).
    """
    if acting_user is not None:
        if acting_user.role == Role.PARTNER_ADMIN:
            if partner is None or partner.pk != acting_user.partner_id or role not in PARTNER_ROLES:
                raise PermissionDenied(_("Your role does not allow this action."))
        else:
            ensure_role(acting_user, Role.VENDOR_ADMIN)
    organisation = OrganisationKind.PARTNER if partner is not None else OrganisationKind.VENDOR
    allowed = PARTNER_ROLES if partner is not None else VENDOR_ROLES
    if role not in allowed:
        raise ValidationError({"role": _("This role does not belong to the user's organisation.")})
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")})
    user = User(
        email=email,
        role=role,
        partner=partner,
        organisation=organisation,
        full_name=full_name,
        language=language,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    _clean(user, exclude=["password"])
    user.save()
    return user


def ensure_manages(acting_user: User, user: User) -> None:
    """Vendor admins manage everyone; a partner admin the users of its own partner (R1.1)."""
    if acting_user.role == Role.PARTNER_ADMIN:
        if user.partner_id != acting_user.partner_id:
            raise PermissionDenied(_("Your role does not allow this action."))
    else:
        ensure_role(acting_user, Role.VENDOR_ADMIN)


@transaction.atomic
def set_user_role(*, acting_user: User, user: User, role: str) -> User:
    """Change a user's role within its organisation; nobody changes their own role (no lock-out)."""
    ensure_manages(acting_user, user)
    if user.pk == acting_user.pk:
        raise ValidationError({"role": _("You cannot change your own role.")})
    allowed = PARTNER_ROLES if user.partner_id is not None else VENDOR_ROLES
    if role not in allowed:
        raise ValidationError({"role": _("This role does not belong to the user's organisation.")})
    user = locks.lock_user(user.pk)
    before = user.role
    if before != role:
        user.role = role
        user.save(update_fields=["role"])
        log_security_event(
            event=SecurityEvent.ROLE_CHANGED,
            user=acting_user,
            detail=f"user {user.pk} {user.email}: {before} -> {role}",
        )
    return user


def end_sessions_and_tokens(users: Any) -> None:
    """End every session and revoke every API token of the users (R1.5).

    Called by the post_save receivers in signals.py whenever a user or a partner turns inactive, so
    that every path (these services, the Django admin, a shell) ends access, not only the services.
    """
    now = timezone.now()
    UserSession.objects.filter(user__in=users).delete()
    ApiToken.objects.filter(user__in=users, revoked_at__isnull=True).update(revoked_at=now)


def may_enable(*, acting_user: User, user: User) -> bool:
    """The vendor enables anyone; a partner admin only users its own partner disabled (R1.5).

    A user disabled by an unknown hand (before this was recorded, or from a shell) counts as disabled
    by the vendor: the operator is the vendor's.
    """
    if acting_user.is_vendor or user.is_active:
        return True
    disabler = user.disabled_by
    return disabler is not None and disabler.partner_id is not None and disabler.partner_id == acting_user.partner_id


@transaction.atomic
def set_user_active(*, acting_user: User, user: User, active: bool) -> User:
    """Disabling a user ends its sessions and API tokens at once (R1.5)."""
    if acting_user.role == Role.PARTNER_ADMIN:
        if user.partner_id != acting_user.partner_id:
            raise PermissionDenied(_("Your role does not allow this action."))
    else:
        ensure_role(acting_user, Role.VENDOR_ADMIN)
    if user.pk == acting_user.pk and not active:
        raise ValidationError({"is_active": _("You cannot disable yourself.")})
    user = locks.lock_user(user.pk)
    if active and not may_enable(acting_user=acting_user, user=user):
        raise ValidationError({"is_active": _("The vendor disabled this user; only the vendor can enable it again.")})
    if user.is_active != active:
        user.is_active = active
        user.disabled_by = None if active else acting_user
    # The post_save receiver ends sessions and tokens when the user turns inactive.
    user.save(update_fields=["is_active", "disabled_by"])
    log_security_event(
        event=SecurityEvent.USER_ENABLED if active else SecurityEvent.USER_DISABLED,
        user=acting_user,
        detail=f"user {user.pk} {user.email}",
    )
    return user


@transaction.atomic
def set_user_language(*, acting_user: User, language: str) -> User:
    if language not in ("", "de", "en"):
        raise ValidationError({"language": _("Choose German, English or the browser language.")})
    acting_user.language = language
    acting_user.save(update_fields=["language"])
    return acting_user


def notification_kind_problem(user: User, kind: str) -> str | None:
    """Why `kind` cannot be switched for this user (unknown, or not one its role receives), or None."""
    if kind not in NotificationKind.values:
        return _("Unknown kind of notification “%(kind)s”. Choose one of: %(choices)s.") % {
            "kind": kind,
            "choices": ", ".join(user.notification_kinds) or "–",
        }
    if kind not in user.notification_kinds:
        return _("Your role receives no notifications of the kind “%(kind)s”.") % {"kind": kind}
    return None


@transaction.atomic
def set_notification_switches(*, acting_user: User, kinds_off: Iterable[str]) -> User:
    """The user switches off exactly these kinds of notification mail (all others of its role are on).

    Each kind must be one its role receives; a wrong one is a field error on `kinds_off` naming it (R13.1).
    """
    kinds_off = list(dict.fromkeys(str(k) for k in kinds_off))
    problems = [problem for kind in kinds_off if (problem := notification_kind_problem(acting_user, kind))]
    if problems:
        raise ValidationError({"kinds_off": problems})
    user = locks.lock_user(acting_user.pk)
    user.notifications_off = [k for k in NotificationKind.values if k in kinds_off]
    user.save(update_fields=["notifications_off"])
    acting_user.notifications_off = user.notifications_off
    return acting_user


# --- API tokens ---------------------------------------------------------------------------------


@transaction.atomic
def create_api_token(*, acting_user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new personal token; the raw token is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if len(name) > 100:
        raise ValidationError({"name": _("Use at most 100 characters.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must lie in the future.")})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=acting_user, name=name, prefix=raw[:10], token_hash=ApiToken.hash_of(raw), expires_at=expires_at
    )
    log_security_event(event=SecurityEvent.TOKEN_CREATED, user=acting_user, detail=f"token {token.pk}")
    return token, raw


@transaction.atomic
def revoke_api_token(*, acting_user: User, token: ApiToken) -> ApiToken:
    if token.user_id != acting_user.pk:
        raise PermissionDenied(_("Your role does not allow this action."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        log_security_event(event=SecurityEvent.TOKEN_REVOKED, user=acting_user, detail=f"token {token.pk}")
    return token


def user_for_api_token(raw: str) -> User | None:
    """The active user a raw token belongs to, or None (revoked, expired, disabled, partner disabled) (R1.5).

    One indexed lookup on every request (token_hash is unique) with every check in its WHERE, so a revoke,
    an expiry or a disabled user or partner refuses the very next request in every process: nothing is
    cached. It builds the user and its partner (``request.user.partner`` is read without a query), not
    the token: its id and last use come as two columns."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    user = (
        User.objects.select_related("partner")
        .filter(Q(partner__isnull=True) | Q(partner__is_active=True), is_active=True)
        .filter(  # one filter() call: the token's conditions are on the same (one) joined row
            Q(api_tokens__expires_at__isnull=True) | Q(api_tokens__expires_at__gt=now),
            api_tokens__token_hash=ApiToken.hash_of(raw),
            api_tokens__revoked_at__isnull=True,
        )
        .annotate(api_token_id=F("api_tokens__id"), api_token_last_used_at=F("api_tokens__last_used_at"))
        .order_by()[:1]
    )
    user = next(iter(user), None)
    if user is None:
        return None
    last_used = user.api_token_last_used_at  # type: ignore[attr-defined]
    if last_used is None or (now - last_used).total_seconds() > 60:
        ApiToken.objects.filter(pk=user.api_token_id).update(last_used_at=now)  # type: ignore[attr-defined]
    return user
