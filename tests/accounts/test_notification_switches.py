"""Each user switches each kind of notification mail on or off (R7.1, R4.9, R6.3): service, API, profile page.
Bad input names the field, in German and English, and never is a server error (R13.1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from partnerdesk.accounts.choices import NOTIFICATION_KINDS_BY_ROLE, NotificationKind, Role
from partnerdesk.accounts.models import User
from partnerdesk.accounts.services import set_notification_switches

pytestmark = pytest.mark.django_db


def test_r7_1_every_kind_is_offered_to_some_role_and_every_role_has_its_list():
    offered = {kind for kinds in NOTIFICATION_KINDS_BY_ROLE.values() for kind in kinds}
    assert offered == set(NotificationKind.values)
    assert set(NOTIFICATION_KINDS_BY_ROLE) == set(Role.values)


def test_r7_1_switching_off_is_stored_and_respected(world):
    l1 = world.user(Role.L1_AGENT)
    assert l1.wants_notification(NotificationKind.VENDOR_MESSAGE)
    set_notification_switches(acting_user=l1, kinds_off=[NotificationKind.VENDOR_MESSAGE])
    stored = User.objects.get(pk=l1.pk)
    assert stored.notifications_off == [NotificationKind.VENDOR_MESSAGE]
    assert not stored.wants_notification(NotificationKind.VENDOR_MESSAGE)
    assert stored.wants_notification(NotificationKind.TICKET_RESOLVED)
    assert not stored.wants_notification(NotificationKind.BREACH_RISK)  # not one of an L1 agent's kinds


@pytest.mark.parametrize("kind", ["nonsense", "breach_risk"])
def test_r13_1_an_unknown_or_foreign_kind_is_a_field_error_and_nothing_is_stored(world, kind):
    l1 = world.user(Role.L1_AGENT)
    with pytest.raises(ValidationError) as error:
        set_notification_switches(acting_user=l1, kinds_off=[NotificationKind.VENDOR_MESSAGE, kind])
    assert list(error.value.message_dict) == ["kinds_off"] and kind in error.value.message_dict["kinds_off"][0]
    assert User.objects.get(pk=l1.pk).notifications_off == []


# --- API -------------------------------------------------------------------------------------------


def test_r12_2_the_api_answers_one_switch_per_kind_of_the_role(world, api_as):
    assert api_as(Role.L2_AGENT).get("me/notifications").json() == {
        "ticket_escalated": True,
        "partner_message": True,
        "ticket_third_level": True,
        "ticket_resolved": True,
        "breach_risk": True,
        "appointment": True,
    }
    assert api_as(Role.SALES).get("me/notifications").json() == {"quota_threshold": True}
    assert api_as(Role.BILLING).get("me/notifications").json() == {}


def test_r12_2_put_changes_the_named_switches_and_keeps_the_others(world, api_as):
    api = api_as(Role.PARTNER_ADMIN)
    response = api.put("me/notifications", {"quota_threshold": False, "vendor_message": False})
    assert response.status_code == 200, response.content
    assert response.json()["quota_threshold"] is False and response.json()["ticket_resolved"] is True
    response = api.put("me/notifications", {"vendor_message": True})
    assert response.json()["vendor_message"] is True and response.json()["quota_threshold"] is False
    assert User.objects.get(pk=world.user(Role.PARTNER_ADMIN).pk).notifications_off == ["quota_threshold"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Unknown kind of notification “vendor_mesage”."),
        ("de", "Unbekannte Art von Benachrichtigung „vendor_mesage“."),
    ],
)
def test_r13_1_an_unknown_kind_names_the_field_in_the_users_language(world, api_as, language, message):
    api = api_as(Role.L1_AGENT)
    response = api.put("me/notifications", {"vendor_mesage": False}, **{"Accept-Language": language})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "vendor_mesage" and error["message"].startswith(message)
    assert User.objects.get(pk=world.user(Role.L1_AGENT).pk).notifications_off == []


@pytest.mark.parametrize("body", [{"vendor_message": "maybe"}, ["vendor_message"], "x", {"breach_risk": False}])
def test_r13_1_bad_bodies_are_field_errors_not_server_errors(world, api_as, body):
    response = api_as(Role.L1_AGENT).put("me/notifications", body)
    assert response.status_code == 422 and response.json()["errors"]


# --- the profile page ----------------------------------------------------------------------------


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_r7_1_the_profile_page_has_one_checkbox_per_kind_of_the_role(world):
    page = _client(world.user(Role.L3_ENGINEER)).get("/profile/").content.decode()
    for kind in NOTIFICATION_KINDS_BY_ROLE[Role.L3_ENGINEER]:
        assert f'name="notify" value="{kind}" checked' in page
    assert 'value="quota_threshold"' not in page and 'value="vendor_message"' not in page
    billing = _client(world.user(Role.BILLING)).get("/profile/").content.decode()
    assert 'name="notify"' not in billing and "Your role receives no notification mail." in billing


def test_r7_1_the_profile_page_saves_the_switches(world):
    l1 = world.user(Role.L1_AGENT)
    response = _client(l1).post(
        "/profile/", {"notifications": "1", "notify": ["vendor_message", "ticket_resolved"]}, follow=True
    )
    assert "Your notification settings were saved." in response.content.decode()
    assert User.objects.get(pk=l1.pk).notifications_off == ["ticket_handed_back", "ticket_third_level", "appointment"]
    page = response.content.decode()
    assert 'value="ticket_handed_back">' in page and 'value="vendor_message" checked' in page


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Unknown kind of notification"), ("de", "Unbekannte Art von Benachrichtigung")],
)
def test_r13_1_the_profile_page_names_an_unknown_kind_in_the_users_language(world, language, message):
    l1 = world.user(Role.L1_AGENT)
    response = _client(l1, language).post("/profile/", {"notifications": "1", "notify": ["vendor_message", "\x00x"]})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert message in response.content.decode()
    response = _client(l1, language).post("/profile/", {"notifications": "1", "notify": ["bogus"]})
    assert response.status_code == 200 and message in response.content.decode() and "bogus" in response.content.decode()
    assert User.objects.get(pk=l1.pk).notifications_off == []
