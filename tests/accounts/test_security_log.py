"""The security log is complete but bounded (R1.5, issue 10 item 13).

Every refusal is recorded; identical refusals within one minute (same user, route, kind) are one row
whose count goes up, so one client cannot write millions of rows.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.choices import Role, SecurityEvent
from partnerdesk.accounts.models import SecurityLog
from tests.factories import EndCustomerFactory


def _refusals():
    return SecurityLog.objects.filter(event=SecurityEvent.ACCESS_REFUSED)


@pytest.mark.django_db
def test_r1_5_a_single_refusal_writes_one_row_with_who_what_and_route(world, api_as):
    agent = world.user(Role.L1_AGENT)
    api = api_as(agent)
    url = f"/api/v1/partners/{world.partner_b.pk}"
    assert api.get(url).status_code == 404
    [row] = _refusals()
    assert (row.user, row.count, row.method, row.path) == (agent, 1, "GET", url)
    assert row.detail == f"accounts.Partner {world.partner_b.pk}"
    assert row.ip_address == "127.0.0.1"


@pytest.mark.django_db
def test_r1_5_foreign_ids_tried_on_one_route_in_one_minute_are_counted_in_one_row(world, api_as):
    foreign = [EndCustomerFactory(partner=world.partner_b, number=n).pk for n in range(2, 12)]
    api = api_as(Role.L1_AGENT)
    url = f"partners/{world.partner_b.pk}/end-customers/{{}}"
    with mock.patch("django.utils.timezone.now", return_value=timezone.now().replace(second=5)):
        for _round in range(5):
            for pk in foreign:
                assert api.get(url.format(pk)).status_code == 404
    [row] = _refusals()
    assert row.count == 5 * len(foreign)
    assert row.route == "api/v1/partners/<partner_id>/end-customers/<end_customer_id>"
    assert row.path == f"/api/v1/partners/{world.partner_b.pk}/end-customers/{foreign[0]}"  # the first
    assert row.detail == f"accounts.EndCustomer {foreign[0]}"


@pytest.mark.django_db
def test_r1_5_a_foreign_id_in_a_body_repeated_on_one_route_is_counted_in_one_row(world, api_as):
    api = api_as(Role.L1_AGENT)
    body = {"email": "x@y.example", "role": Role.L1_AGENT, "partner_id": world.partner_b.pk}
    with mock.patch("django.utils.timezone.now", return_value=timezone.now().replace(second=5)):
        for _ in range(30):
            assert api.post("users", body).status_code == 404
    [row] = _refusals()
    assert row.count == 30 and row.path == "/api/v1/users" and row.method == "POST"


@pytest.mark.django_db
def test_r1_5_a_missing_id_is_no_refusal(world, api_as):
    assert api_as(Role.L1_AGENT).get("partners/999999").status_code == 404
    assert not _refusals().exists()


@pytest.mark.django_db
def test_r1_5_refusals_in_the_next_minute_or_on_another_route_get_their_own_row(world, api_as):
    api = api_as(Role.L1_AGENT)
    start = timezone.now().replace(second=30)
    with mock.patch("django.utils.timezone.now", return_value=start):
        api.get(f"partners/{world.partner_b.pk}")
        api.get(f"partners/{world.partner_b.pk}")
        api.get(f"partners/{world.partner_b.pk}/end-customers")
    with mock.patch("django.utils.timezone.now", return_value=start + timedelta(minutes=1)):
        api.get(f"partners/{world.partner_b.pk}")
    counts = sorted(_refusals().values_list("path", "count"))
    partner = f"/api/v1/partners/{world.partner_b.pk}"
    assert counts == [(partner, 1), (partner, 2), (f"{partner}/end-customers", 1)]


@pytest.mark.django_db
def test_r1_5_a_page_refusal_by_get_and_by_post_are_two_rows(world):
    page = Client()
    page.force_login(world.user(Role.L1_AGENT))
    url = f"/partners/{world.partner_b.pk}/"
    assert page.get(url).status_code == 404
    assert page.post(url).status_code in (404, 405)
    assert sorted(_refusals().values_list("method", "count")) == [("GET", 1), ("POST", 1)]


@pytest.mark.django_db
def test_r1_5_a_flood_of_bad_tokens_is_counted_in_one_row(db):
    with mock.patch("django.utils.timezone.now", return_value=timezone.now().replace(second=1)):
        for n in range(40):
            assert Client(HTTP_AUTHORIZATION=f"Bearer pd_guess{n}").get("/api/v1/me").status_code == 401
    [row] = SecurityLog.objects.filter(event=SecurityEvent.TOKEN_REFUSED)
    assert row.count == 40 and row.path == "/api/v1/me"


@pytest.mark.django_db
def test_r1_5_other_events_stay_one_row_each(world, api_as):
    api = api_as(Role.L2_AGENT)
    for n in range(3):
        api.post("tokens", {"name": f"t{n}"})
    assert SecurityLog.objects.filter(event=SecurityEvent.TOKEN_CREATED).count() == 3 + 1  # + the client's own
