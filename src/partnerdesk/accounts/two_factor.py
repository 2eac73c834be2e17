"""Two-factor sign-in with a one-time code from an authenticator app (TOTP, RFC 6238; django-otp).

A user adds an app on the profile page (the device is confirmed by its first code) and from then on signs
in with password and code; a vendor admin can require it of all vendor staff. API tokens are unaffected:
a token is its own credential. Codes are checked by django-otp's TOTP device, which throttles repeated
failures and refuses a code used once already.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .choices import Role, SecurityEvent
from .models import User, Vendor
from .security_log import log_security_event

DEVICE_NAME = "authenticator app"


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def sign_in_state(user: User) -> tuple[bool, bool]:
    """(has a confirmed app, must have one) in one query: what every page request asks (web middleware)."""
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_app=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            vendor_requires=Exists(Vendor.objects.filter(require_two_factor=True)),
        )
        .values_list("has_app", "vendor_requires")
        .first()
    )
    has_app, vendor_requires = row or (False, False)
    return bool(has_app), bool(vendor_requires) and user.is_vendor


def required_for(user: User) -> bool:
    """Vendor staff sign in with a code once a vendor admin requires it."""
    return user.is_vendor and Vendor.objects.filter(require_two_factor=True).exists()


@transaction.atomic
def start_setup(user: User) -> TOTPDevice:
    """A new, unconfirmed device with a fresh secret (an earlier unconfirmed one is replaced)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def _checked(device: TOTPDevice, token: str) -> bool:
    token = "".join(ch for ch in str(token or "") if ch.isdigit())
    return bool(token) and device.verify_token(token)


@transaction.atomic
def confirm_setup(user: User, token: str) -> TOTPDevice:
    """The first code from the app confirms the device; any earlier device is removed."""
    device = pending_device(user)
    if device is None:
        raise ValidationError({"otp_token": _("Start the setup again: no authenticator app is waiting.")})
    if not _checked(device, token):
        raise ValidationError({"otp_token": _("The code does not match. Enter the current code from the app.")})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    log_security_event(event=SecurityEvent.TWO_FACTOR_ENABLED, user=user, detail=f"user {user.pk}")
    return device


def verify(user: User, token: str) -> TOTPDevice | None:
    """The user's confirmed device if the code is right; a wrong code is logged."""
    device = confirmed_device(user)
    if device is not None and _checked(device, token):
        return device
    log_security_event(event=SecurityEvent.TWO_FACTOR_FAILED, user=user, detail=f"user {user.pk}")
    return None


@transaction.atomic
def disable(user: User, token: str) -> None:
    """Remove the app (with a current code); refused while the vendor requires it of this user."""
    if required_for(user):
        raise ValidationError({"otp_token": _("The vendor requires two-factor sign-in for its staff.")})
    device = confirmed_device(user)
    if device is None or not _checked(device, token):
        raise ValidationError({"otp_token": _("The code does not match. Enter the current code from the app.")})
    TOTPDevice.objects.filter(user=user).delete()
    log_security_event(event=SecurityEvent.TWO_FACTOR_DISABLED, user=user, detail=f"user {user.pk}")


@transaction.atomic
def set_required(*, acting_user: User, required: bool) -> Vendor:
    """A vendor admin requires (or stops requiring) two-factor sign-in of all vendor staff."""
    if acting_user.role != Role.VENDOR_ADMIN:
        raise PermissionDenied(_("Your role does not allow this action."))
    vendor = Vendor.current()
    vendor.require_two_factor = required
    vendor.save(update_fields=["require_two_factor"])
    log_security_event(
        event=SecurityEvent.TWO_FACTOR_REQUIRED if required else SecurityEvent.TWO_FACTOR_OPTIONAL,
        user=acting_user,
        detail="vendor staff",
    )
    return vendor
