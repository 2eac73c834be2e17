"""Two-factor sign-in (R1.5): a user adds an authenticator app and then signs in with password and code;
a vendor admin can require it of vendor staff; the API's tokens are not affected."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import SecurityLog, Vendor

pytestmark = pytest.mark.django_db

PASSWORD = "Sicheres-Passwort-2026"  # noqa: S105 (a test password)


def _code(device: TOTPDevice, *, later: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=later):06d}"


def _signed_in(user) -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    assert client.post("/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
    return client


def _with_app(user) -> TOTPDevice:
    client = _signed_in(user)
    page = client.get("/profile/two-factor/").content.decode()
    assert re.search(r'<code class="secret">[A-Z2-7 ]{20,}</code>', page)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/profile/two-factor/", {"action": "confirm", "otp_token": "000000"})
    assert b"does not match" in wrong.content or _code(device) == "000000"
    done = client.post("/profile/two-factor/", {"action": "confirm", "otp_token": _code(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_r1_5_with_an_app_the_password_alone_reaches_no_page(world):
    user = world.user(Role.L1_AGENT)
    device = _with_app(user)
    client = _signed_in(user)  # a new sign-in: password only
    page = client.get("/tickets/")
    assert page.status_code == 302 and page["Location"] == "/login/verify/?next=%2Ftickets%2F"
    assert client.get("/api/v1/me").status_code in (401, 403)  # no session access to the API either way
    refused = client.post("/login/verify/?next=/tickets/", {"otp_token": "12345x"})
    assert b"does not match" in refused.content
    assert SecurityLog.objects.filter(event=SecurityEvent.TWO_FACTOR_FAILED, user=user).exists()
    time.sleep(1.1)  # after a wrong code the device throttles for a second (django-otp), then takes a right one
    # The code of the next time step: the current one was used by the setup, and a code used once is refused.
    accepted = client.post("/login/verify/", {"otp_token": _code(device, later=1), "next": "/tickets/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/tickets/"
    assert client.get("/tickets/").status_code == 200


def test_r1_5_an_api_token_is_its_own_credential(world, api_as):
    user = world.user(Role.L2_AGENT)
    _with_app(user)
    assert api_as(user).get("me").status_code == 200


def test_r1_5_vendor_admin_requires_it_of_vendor_staff_who_first_add_an_app(world):
    admin = world.user(Role.VENDOR_ADMIN)
    admin_client = _signed_in(admin)
    refused = admin_client.post("/profile/two-factor/requirement/", {"required": "1"}, follow=True)
    assert b"Add an authenticator app to your own account first" in refused.content
    assert not Vendor.current().require_two_factor
    device = _with_app(admin)
    admin_client = _signed_in(admin)
    admin_client.post("/login/verify/", {"otp_token": _code(device, later=1), "next": "/"})
    admin_client.post("/profile/two-factor/requirement/", {"required": "1"})
    assert Vendor.current().require_two_factor

    engineer = _signed_in(world.user(Role.L2_AGENT))
    sent_to_setup = engineer.get("/tickets/")
    assert sent_to_setup.status_code == 302 and sent_to_setup["Location"].startswith("/profile/two-factor/")
    partner = _signed_in(world.user(Role.L1_AGENT))  # partners are not the vendor's staff
    assert partner.get("/tickets/").status_code == 200
    # While required, vendor staff cannot turn it off.
    off = admin_client.post("/profile/two-factor/disable/", {"otp_token": _code(device, later=2)}, follow=True)
    assert b"requires two-factor sign-in" in off.content
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_r1_5_a_password_alone_cannot_replace_the_app_or_lift_the_requirement(world):
    admin = world.user(Role.VENDOR_ADMIN)
    device = _with_app(admin)
    attacker = _signed_in(admin)  # knows the password, not the code
    setup = attacker.get("/profile/two-factor/")
    assert setup.status_code == 302 and setup["Location"].startswith("/login/verify/")
    assert not TOTPDevice.objects.filter(user=admin, confirmed=False).exclude(pk=device.pk).exists()
    assert attacker.post("/profile/two-factor/requirement/", {"required": "1"}).status_code == 302
    assert not Vendor.current().require_two_factor
    assert attacker.post("/profile/two-factor/disable/", {"otp_token": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
