"""Users and partners managed in the interface (R1.1, R1.5): invitations with a set-password link through
the outbox, roles changed within an organisation, "forgot password" for everyone, new partners with their
first partner admin. Links work once; the outbox never shows them to anyone else."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import Partner, SecurityLog, User
from partnerdesk.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s]+/password/set/[^\s]+/")


def _link_of(address: str) -> str:
    (mail,) = OutboxMessage.objects.filter(to=[address])
    assert mail.confidential, "a set-password link is never shown on the outbox page"
    (link,) = LINK.findall(mail.body)
    return link


def _logs_in(email: str, password: str) -> bool:
    response = Client().post("/login/", {"username": email, "password": password})
    return response.status_code == 302


def _client_of(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="partnerdesk.accounts.backends.OrganisationAwareBackend")
    return client


def _choose_password(link: str, password: str = "Kaffee-Maschine-42") -> Client:  # noqa: S107 (a test password)
    client = Client()
    path = "/" + link.split("/", 3)[3]
    page = client.get(path, follow=True)  # Django moves the token out of the address first
    assert page.status_code == 200 and b"new_password1" in page.content
    done = client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done.status_code == 302 and done["Location"].endswith("/login/")
    return client


def test_r1_5_vendor_admin_invites_and_the_link_sets_the_password_once(world, api_as):
    response = api_as(Role.VENDOR_ADMIN).post(
        "users", {"email": "neu@a.example", "role": "l1_agent", "partner_id": world.partner_a.pk, "language": "de"}
    )
    assert response.status_code == 201, response.content
    invited = User.objects.get(email="neu@a.example")
    assert not invited.has_usable_password()
    mail = OutboxMessage.objects.get(to=["neu@a.example"])
    assert mail.kind == "invitation" and "Nordlicht Systemhaus GmbH" in mail.body  # in German: "eingeladen"
    link = _link_of("neu@a.example")
    _choose_password(link)
    assert _logs_in("neu@a.example", "Kaffee-Maschine-42")
    again = Client().get("/" + link.split("/", 3)[3], follow=True)
    assert b"new_password1" not in again.content  # used once: the token no longer matches
    assert SecurityLog.objects.filter(event=SecurityEvent.PASSWORD_SET, user=invited).count() == 1


def test_r1_1_partner_admin_invites_only_into_its_own_partner_and_roles(world, api_as):
    api = api_as(Role.PARTNER_ADMIN)
    ok = api.post("users", {"email": "kollege@a.example", "role": "l1_agent", "partner_id": world.partner_a.pk})
    assert ok.status_code == 201 and ok.json()["partner_id"] == world.partner_a.pk
    foreign = api.post("users", {"email": "x@b.example", "role": "l1_agent", "partner_id": world.partner_b.pk})
    assert foreign.status_code == 404
    vendor_role = api.post("users", {"email": "y@a.example", "role": "billing", "partner_id": world.partner_a.pk})
    assert vendor_role.status_code in (403, 422)
    assert not User.objects.filter(email__in=["x@b.example", "y@a.example"]).exists()
    assert not OutboxMessage.objects.filter(to=["x@b.example"]).exists()


def test_r1_5_forgot_password_answers_the_same_and_mails_only_active_users(world):
    client = Client()
    assert client.get("/password/forgot/").status_code == 200
    known = world.user(Role.L1_AGENT)
    answers = []
    for address in (known.email, "nobody@nowhere.example"):
        response = client.post("/password/forgot/", {"email": address}, follow=True)
        answers.append(response.content.count(b"a link to set a new password is on its way"))
    assert answers == [1, 1]
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 1
    client.post("/password/forgot/", {"email": known.email})  # again at once: no second mail to flood with
    assert OutboxMessage.objects.filter(kind="password_reset").count() == 1
    _choose_password(_link_of(known.email), "Neues-Passwort-2026")
    assert _logs_in(known.email, "Neues-Passwort-2026")

    disabled = world.user(Role.L3_ENGINEER)
    disabled.is_active = False
    disabled.save()
    client.post("/password/forgot/", {"email": disabled.email})
    assert not OutboxMessage.objects.filter(to=[disabled.email]).exists()
    assert SecurityLog.objects.filter(event=SecurityEvent.PASSWORD_RESET_REQUESTED).count() == 4


def test_r1_1_roles_change_within_the_organisation_only(world, api_as):
    l1 = world.user(Role.L1_AGENT)
    admin_a = api_as(Role.PARTNER_ADMIN)
    changed = admin_a.post(f"users/{l1.pk}/role", {"role": "partner_admin"})
    assert changed.status_code == 200 and changed.json()["role"] == "partner_admin"
    assert admin_a.post(f"users/{l1.pk}/role", {"role": "sales"}).status_code == 422
    own = world.user(Role.PARTNER_ADMIN)
    refused = admin_a.post(f"users/{own.pk}/role", {"role": "l1_agent"})
    assert refused.status_code == 422 and "role" in refused.content.decode()
    other = world.outsider[Role.L1_AGENT]
    assert admin_a.post(f"users/{other.pk}/role", {"role": "partner_admin"}).status_code == 404
    vendor = api_as(Role.VENDOR_ADMIN)
    assert vendor.post(f"users/{world.user(Role.L2_AGENT).pk}/role", {"role": "l3_engineer"}).status_code == 200
    assert SecurityLog.objects.filter(event=SecurityEvent.ROLE_CHANGED).count() == 2


def test_r1_1_sales_creates_a_partner_with_its_first_admin_invited(world, api_as):
    api = api_as(Role.SALES)
    body = {"name": "Küstennetz GmbH", "city": "Kiel", "admin_email": "chefin@kuestennetz.example"}
    response = api.post("partners", body)
    assert response.status_code == 201, response.content
    partner = Partner.objects.get(pk=response.json()["id"])
    admin = User.objects.get(email="chefin@kuestennetz.example")
    assert admin.partner == partner and admin.role == Role.PARTNER_ADMIN
    _link_of("chefin@kuestennetz.example")
    taken = api.post("partners", {**body, "name": "Zweite GmbH"})  # the admin's address is taken
    assert taken.status_code == 422 and "admin_email" in taken.json()["errors"][0]["field"]
    assert not Partner.objects.filter(name="Zweite GmbH").exists()
    assert api_as(Role.L1_AGENT).post("partners", body).status_code in (403, 404)


def test_r1_5_pages_invite_change_role_and_create_partner(world):
    admin = _client_of(world.user(Role.VENDOR_ADMIN))
    page = admin.get("/users/invite/")
    assert page.status_code == 200 and b'name="partner"' in page.content
    sent = admin.post("/users/invite/", {"email": "seite@a.example", "role": "l2_agent"}, follow=True)
    assert sent.status_code == 200 and User.objects.get(email="seite@a.example").partner is None
    target = User.objects.get(email="seite@a.example")
    assert admin.post(f"/users/{target.pk}/role/", {"role": "l3_engineer"}).status_code == 302
    target.refresh_from_db()
    assert target.role == Role.L3_ENGINEER
    assert admin.post(f"/users/{target.pk}/invitation/").status_code == 302
    assert OutboxMessage.objects.filter(to=["seite@a.example"]).count() == 2
    bad = admin.post("/partners/new/", {"name": "Ohne Admin GmbH", "country": "DE", "admin_email": "kaputt"})
    assert bad.status_code == 200 and b"errorlist" in bad.content
    created = admin.post(
        "/partners/new/", {"name": "Seiten GmbH", "country": "DE", "admin_email": "admin@seiten.example"}
    )
    assert created.status_code == 302
    assert User.objects.get(email="admin@seiten.example").partner.name == "Seiten GmbH"
    partner_admin = _client_of(world.user(Role.PARTNER_ADMIN))
    form = partner_admin.get("/users/invite/")
    assert form.status_code == 200 and b'name="partner"' not in form.content


def test_r1_5_invitation_rolled_back_leaves_no_user_and_no_mail(world):
    from django.db import transaction

    from partnerdesk.channels import user_invitations

    with pytest.raises(RuntimeError), transaction.atomic():
        user_invitations.invite_user(
            acting_user=world.user(Role.VENDOR_ADMIN), email="weg@a.example", role="l2_agent", base_url="http://x/"
        )
        raise RuntimeError("the request failed after the invitation")
    assert not User.objects.filter(email="weg@a.example").exists()
    assert not OutboxMessage.objects.filter(to=["weg@a.example"]).exists()
