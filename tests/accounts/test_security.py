"""Login, lockout, disabling, tokens and the security log (R1.5), and idempotent writes (R13.3)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

import partnerdesk.settings as project_settings
from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import ApiToken, EndCustomer, SecurityLog, User, UserSession
from partnerdesk.accounts.services import create_api_token, set_partner_active, set_user_active
from partnerdesk.api.idempotency import prune_expired
from partnerdesk.api.models import IdempotencyRecord
from tests.factories import PASSWORD


def _login(client: Client, email: str, password: str = PASSWORD, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_argon2_is_the_production_password_hasher():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_argon2_hashes_new_passwords(world):
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        user = world.user(Role.L1_AGENT)
        user.set_password("another long passphrase")
        assert user.password.startswith("argon2")


@pytest.mark.django_db
def test_r1_5_login_attempts_are_logged_with_who_and_when_in_utc(world, client):
    email = world.user(Role.L1_AGENT).email
    assert _login(client, email, "wrong").status_code == 200
    assert _login(client, email).status_code == 302
    failed = SecurityLog.objects.get(event=SecurityEvent.LOGIN_FAILED)
    succeeded = SecurityLog.objects.get(event=SecurityEvent.LOGIN_SUCCEEDED)
    assert failed.username == email and failed.ip_address == "10.0.0.1"
    assert succeeded.user == world.user(Role.L1_AGENT)
    assert succeeded.at.utcoffset().total_seconds() == 0


@pytest.mark.django_db
def test_r1_5_lockout_is_keyed_on_user_and_address_together(world):
    email = world.user(Role.L1_AGENT).email
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, email, "wrong", address="203.0.113.9")
    # Locked for that address, even with the right password ...
    assert _login(attacker, email, address="203.0.113.9").status_code == 429
    assert SecurityLog.objects.filter(event=SecurityEvent.LOGIN_LOCKED_OUT).exists()
    # ... but the real user logs in from elsewhere, and others from the same address are not locked.
    assert _login(Client(), email, address="198.51.100.7").status_code == 302
    assert _login(Client(), world.user(Role.PARTNER_ADMIN).email, address="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_r1_5_disabling_a_user_ends_its_sessions_and_tokens_at_once(world, api_as):
    agent = world.user(Role.L1_AGENT)
    browser = Client()
    assert _login(browser, agent.email).status_code == 302
    assert UserSession.objects.filter(user=agent).exists()
    api = api_as(agent)
    assert api.get("me").status_code == 200

    set_user_active(acting_user=world.user(Role.PARTNER_ADMIN), user=agent, active=False)

    assert not UserSession.objects.filter(user=agent).exists()
    assert browser.get("/").status_code == 302  # back to the login page
    assert api.get("me").status_code == 401
    assert not ApiToken.objects.filter(user=agent, revoked_at__isnull=True).exists()
    assert SecurityLog.objects.filter(event=SecurityEvent.TOKEN_REFUSED).exists()


@pytest.mark.django_db
def test_r1_5_disabling_a_partner_ends_all_its_users_sessions_and_tokens(world, api_as):
    agent, admin = world.user(Role.L1_AGENT), world.user(Role.PARTNER_ADMIN)
    browser = Client()
    _login(browser, admin.email)
    api = api_as(agent)
    set_partner_active(acting_user=world.user(Role.VENDOR_ADMIN), partner=world.partner_a, active=False)
    assert browser.get("/").status_code == 302
    assert api.get("me").status_code == 401
    assert _login(Client(), agent.email).status_code == 200  # login refused: form shown again
    # The outsider partner is untouched.
    assert api_as(world.outsider[Role.L1_AGENT]).get("me").status_code == 200


@pytest.mark.django_db
def test_r1_5_only_vendor_admin_disables_partners(world, api_as):
    response = api_as(Role.SALES).post(f"partners/{world.partner_a.pk}/active", {"is_active": False})
    assert response.status_code == 403
    assert SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED).exists()
    world.partner_a.refresh_from_db()
    assert world.partner_a.is_active


@pytest.mark.django_db
def test_r12_2_token_is_stored_hashed_and_works_as_bearer(world):
    user = world.user(Role.L2_AGENT)
    token, raw = create_api_token(acting_user=user, name="script")
    assert raw not in token.token_hash and token.token_hash == ApiToken.hash_of(raw)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert response.json()["email"] == user.email


@pytest.mark.django_db
def test_r12_2_revoked_and_expired_tokens_are_refused(world, api_as):
    api = api_as(Role.L2_AGENT)
    token = ApiToken.objects.get(user=api.user)
    assert api.post(f"tokens/{token.pk}/revoke").status_code == 200
    assert api.get("me").status_code == 401


@pytest.mark.django_db
def test_r12_4_token_create_command_prints_a_working_token(world):
    out = StringIO()
    call_command("token", "create", world.user(Role.BILLING).email, stdout=out)
    raw = out.getvalue().strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_r12_4_demo_is_idempotent_and_prints_logins_as_json(db):
    first, second = StringIO(), StringIO()
    call_command("demo", "--json", stdout=first)
    call_command("demo", "--json", stdout=second)
    logins = json.loads(second.getvalue())
    assert logins == json.loads(first.getvalue())
    assert {login["role"] for login in logins} == {r.value for r in Role}
    assert set(logins[0]) == {"email", "password", "role", "organisation"}
    assert User.objects.count() == len(logins)
    login = next(item for item in logins if item["role"] == Role.L1_AGENT)
    assert _login(Client(), login["email"], login["password"]).status_code == 302


@pytest.mark.django_db
def test_r13_3_retried_post_with_same_idempotency_key_returns_first_result_and_writes_once(world, api_as):
    api = api_as(Role.L1_AGENT)
    url = f"partners/{world.partner_a.pk}/end-customers"
    first = api.post(url, {"name": "Einmal GmbH"}, **{"Idempotency-Key": "abc-1"})
    again = api.post(url, {"name": "Einmal GmbH"}, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert EndCustomer.objects.filter(name="Einmal GmbH").count() == 1
    # The same key with another body is refused, naming the header.
    other = api.post(url, {"name": "Anders GmbH"}, **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not EndCustomer.objects.filter(name="Anders GmbH").exists()


@pytest.mark.django_db
def test_r13_3_keys_are_per_caller(world, api_as):
    url = f"partners/{world.partner_a.pk}/end-customers"
    api_as(Role.L1_AGENT).post(url, {"name": "A GmbH"}, **{"Idempotency-Key": "k"})
    response = api_as(Role.PARTNER_ADMIN).post(url, {"name": "B GmbH"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 201
    assert IdempotencyRecord.objects.count() == 2


# --- the lockout counts one user whatever the letter case (issue 10, item 2) ------------------------


@pytest.mark.django_db
def test_r1_5_lockout_holds_for_another_letter_case_of_the_user_name(world):
    email = world.user(Role.L1_AGENT).email
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(attacker, email, "wrong", address="203.0.113.9")
    assert _login(attacker, email.upper(), address="203.0.113.9").status_code == 429
    assert _login(attacker, f"  {email.title()} ", address="203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_r1_5_guesses_spread_over_case_variants_count_against_one_user(world):
    email = world.user(Role.L1_AGENT).email
    variants = [email, email.upper(), email.capitalize(), f" {email} ", email.swapcase(), email.title()]
    attacker = Client()
    statuses = [_login(attacker, name, "wrong", address="203.0.113.9").status_code for name in variants]
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[settings.AXES_FAILURE_LIMIT - 1 :] == [429] * (len(variants) - settings.AXES_FAILURE_LIMIT + 1)
    assert _login(attacker, email, address="203.0.113.9").status_code == 429
    # Every failure is logged under the one normalised name.
    names = set(SecurityLog.objects.filter(event=SecurityEvent.LOGIN_FAILED).values_list("username", flat=True))
    assert names == {email}


@pytest.mark.django_db
def test_r1_5_login_accepts_the_user_name_in_any_case_and_with_surrounding_space(world):
    email = world.user(Role.L1_AGENT).email
    assert _login(Client(), f" {email.upper()}  ").status_code == 302


# --- every path that disables ends access; the vendor's disabling sticks (issue 10, item 7) ----------


def _admin_client(world) -> Client:
    admin = world.user(Role.VENDOR_ADMIN)
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(User.objects.get(pk=admin.pk))
    return client


def _admin_user_form(user: User, *, active: bool) -> dict[str, str]:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "organisation": user.organisation,
        "partner": str(user.partner_id or ""),
        "role": user.role,
    }
    if active:
        data["is_active"] = "on"
    return data


@pytest.mark.django_db
def test_r1_5_unticking_active_in_the_admin_ends_sessions_and_tokens_for_good(world, api_as):
    agent = world.user(Role.L1_AGENT)
    browser = Client()
    assert _login(browser, agent.email).status_code == 302
    api = api_as(agent)
    admin = _admin_client(world)
    url = f"/admin/accounts/user/{agent.pk}/change/"

    assert admin.post(url, _admin_user_form(agent, active=False)).status_code == 302
    assert not UserSession.objects.filter(user=agent).exists()
    assert not ApiToken.objects.filter(user=agent, revoked_at__isnull=True).exists()
    assert SecurityLog.objects.filter(event=SecurityEvent.USER_DISABLED, user=world.user(Role.VENDOR_ADMIN)).exists()

    # Ticking it again does not bring the old token or session back to life.
    assert admin.post(url, _admin_user_form(agent, active=True)).status_code == 302
    agent.refresh_from_db()
    assert agent.is_active
    assert api.get("me").status_code == 401
    assert browser.get("/").status_code == 302


@pytest.mark.django_db
def test_r1_5_disabling_a_partner_in_the_admin_ends_its_users_sessions_and_tokens(world, api_as):
    agent = world.user(Role.L1_AGENT)
    browser = Client()
    assert _login(browser, world.user(Role.PARTNER_ADMIN).email).status_code == 302
    api = api_as(agent)
    partner = world.partner_a
    data = {
        "number": str(partner.number),
        "name": partner.name,
        "street": partner.street,
        "postal_code": partner.postal_code,
        "city": partner.city,
        "country": str(partner.country),
        "vat_id": partner.vat_id,
        "email": partner.email,
    }
    response = _admin_client(world).post(f"/admin/accounts/partner/{partner.pk}/change/", data)
    assert response.status_code == 302
    partner.refresh_from_db()
    assert not partner.is_active
    assert browser.get("/").status_code == 302
    assert api.get("me").status_code == 401
    assert not ApiToken.objects.filter(user__partner=partner, revoked_at__isnull=True).exists()
    assert api_as(world.outsider[Role.L1_AGENT]).get("me").status_code == 200


@pytest.mark.django_db
def test_r1_5_a_save_outside_the_services_that_disables_a_user_ends_its_tokens(world, api_as):
    agent = world.user(Role.L1_AGENT)
    api = api_as(agent)
    agent.is_active = False
    agent.save()
    agent.is_active = True
    agent.save()
    assert api.get("me").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The vendor disabled this user; only the vendor can enable it again."),
        ("de", "Der Hersteller hat diesen Benutzer deaktiviert; nur der Hersteller kann ihn wieder aktivieren."),
    ],
)
def test_r1_5_partner_admin_cannot_re_enable_a_user_the_vendor_disabled(world, api_as, language, message):
    agent, partner_admin = world.user(Role.L1_AGENT), world.user(Role.PARTNER_ADMIN)
    User.objects.filter(pk=partner_admin.pk).update(language=language)
    vendor = api_as(Role.VENDOR_ADMIN)
    assert vendor.post(f"users/{agent.pk}/active", {"is_active": False}).status_code == 200
    agent.refresh_from_db()
    assert agent.disabled_by == world.user(Role.VENDOR_ADMIN)

    response = api_as(User.objects.get(pk=partner_admin.pk)).post(f"users/{agent.pk}/active", {"is_active": True})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "is_active", "message": message}]
    agent.refresh_from_db()
    assert not agent.is_active
    # The vendor can.
    assert vendor.post(f"users/{agent.pk}/active", {"is_active": True}).status_code == 200


@pytest.mark.django_db
def test_r1_5_partner_admin_cannot_re_enable_a_user_the_vendor_disabled_in_the_admin(world):
    agent, partner_admin = world.user(Role.L1_AGENT), world.user(Role.PARTNER_ADMIN)
    _admin_client(world).post(f"/admin/accounts/user/{agent.pk}/change/", _admin_user_form(agent, active=False))
    agent.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        set_user_active(acting_user=partner_admin, user=agent, active=True)
    assert "is_active" in refused.value.message_dict
    # The page says so instead of enabling.
    page = Client()
    page.force_login(partner_admin)
    response = page.post(f"/users/{agent.pk}/active/", {"is_active": "1"}, follow=True)
    assert "only the vendor can enable it again" in response.content.decode()
    agent.refresh_from_db()
    assert not agent.is_active
    # The list offers no "Enable" it would refuse; it says who disabled the user.
    listing = page.get("/users/").content.decode()
    assert "disabled by the vendor" in listing
    assert f'action="/users/{agent.pk}/active/"' in listing and ">Enable</button>" not in listing


@pytest.mark.django_db
def test_r1_5_partner_admin_re_enables_a_user_of_its_own_that_it_disabled(world):
    agent, partner_admin = world.user(Role.L1_AGENT), world.user(Role.PARTNER_ADMIN)
    set_user_active(acting_user=partner_admin, user=agent, active=False)
    assert set_user_active(acting_user=partner_admin, user=agent, active=True).is_active


# --- idempotent replays belong to an authenticated user and expire (issue 10, item 8) ----------------


@pytest.mark.django_db
def test_r13_3_replay_after_the_token_was_revoked_is_refused(world, api_as):
    api = api_as(Role.L1_AGENT)
    url = f"partners/{world.partner_a.pk}/end-customers"
    assert api.post(url, {"name": "Einmal GmbH"}, **{"Idempotency-Key": "k-revoked"}).status_code == 201
    ApiToken.objects.filter(user=api.user).update(revoked_at=timezone.now())
    replay = api.post(url, {"name": "Einmal GmbH"}, **{"Idempotency-Key": "k-revoked"})
    assert replay.status_code == 401
    assert "Idempotent-Replayed" not in replay


@pytest.mark.django_db
def test_r13_3_unauthenticated_requests_store_nothing(world):
    url = f"/api/v1/partners/{world.partner_a.pk}/end-customers"
    for authorization in ("Bearer pd_not-a-token", "Bearer nonsense", ""):
        client = Client(HTTP_AUTHORIZATION=authorization) if authorization else Client()
        response = client.post(
            url, {"name": "X GmbH"}, content_type="application/json", headers={"Idempotency-Key": "anon"}
        )
        assert response.status_code == 401
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_r13_3_keys_belong_to_the_user_not_to_one_of_its_tokens(world, api_as):
    url = f"partners/{world.partner_a.pk}/end-customers"
    agent = world.user(Role.L1_AGENT)
    first = api_as(agent).post(url, {"name": "Zweimal GmbH"}, **{"Idempotency-Key": "k-user"})
    again = api_as(agent).post(url, {"name": "Zweimal GmbH"}, **{"Idempotency-Key": "k-user"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert EndCustomer.objects.filter(name="Zweimal GmbH").count() == 1
    assert IdempotencyRecord.objects.get().user == agent


@pytest.mark.django_db
def test_r13_3_a_session_replay_needs_the_csrf_token_like_the_first_request(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.user(Role.L1_AGENT))
    browser.get("/profile/")
    csrf = browser.cookies["csrftoken"].value
    url = f"/api/v1/partners/{world.partner_a.pk}/end-customers"
    body = {"name": "Sitzung GmbH"}
    headers = {"Idempotency-Key": "k-session"}
    first = browser.post(url, body, content_type="application/json", headers={**headers, "X-CSRFToken": csrf})
    assert first.status_code == 201
    replay = browser.post(url, body, content_type="application/json", headers=headers)
    assert replay.status_code == 403
    assert "Idempotent-Replayed" not in replay


@pytest.mark.django_db
@override_settings(PARTNERDESK_IDEMPOTENCY_TTL_HOURS=2)
def test_r13_3_records_expire_after_the_configured_ttl_and_can_be_pruned(world, api_as):
    api = api_as(Role.L1_AGENT)
    url = f"partners/{world.partner_a.pk}/end-customers"
    assert api.post(url, {"name": "Alt GmbH"}, **{"Idempotency-Key": "k-old"}).status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=2, minutes=1))
    # An expired record is ignored: the request runs again.
    again = api.post(url, {"name": "Alt GmbH"}, **{"Idempotency-Key": "k-old"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert EndCustomer.objects.filter(name="Alt GmbH").count() == 2
    # Within the TTL it replays.
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=1, minutes=59))
    assert api.post(url, {"name": "Alt GmbH"}, **{"Idempotency-Key": "k-old"})["Idempotent-Replayed"] == "true"
    # Pruning removes only expired records; the command does the same for the worker's schedule.
    assert api.post(url, {"name": "Neu GmbH"}, **{"Idempotency-Key": "k-new"}).status_code == 201
    IdempotencyRecord.objects.filter(key="k-old").update(created_at=timezone.now() - timedelta(hours=3))
    assert prune_expired() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-new"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=3))
    out = StringIO()
    call_command("prune_idempotency_keys", stdout=out)
    assert not IdempotencyRecord.objects.exists()
    assert "1" in out.getvalue()
