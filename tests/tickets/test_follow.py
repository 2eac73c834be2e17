"""Following a ticket (R7.1): the API and the ticket page; another partner's ticket is answered 404 (R1.1)."""

from __future__ import annotations

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets.models import TicketFollower
from tests.channels.notification_scenarios import escalated, first_level
from tests.isolation import refusals_logged

pytestmark = pytest.mark.django_db


def _follows(user, ticket) -> bool:
    return TicketFollower.objects.filter(user=user, ticket=ticket).exists()


def test_r7_1_follow_and_unfollow_through_the_api(world, api_as):
    ticket = escalated(world)
    admin = world.user(Role.PARTNER_ADMIN)
    api = api_as(admin)
    assert api.get(f"tickets/{ticket.pk}/follow").json() == {"ticket_id": ticket.pk, "following": False}
    response = api.post(f"tickets/{ticket.pk}/follow")
    assert response.status_code == 200 and response.json() == {"ticket_id": ticket.pk, "following": True}
    assert _follows(admin, ticket)
    assert api.get(f"tickets/{ticket.pk}/follow").json()["following"] is True
    response = api.delete(f"tickets/{ticket.pk}/follow")
    assert response.status_code == 200 and response.json() == {"ticket_id": ticket.pk, "following": False}
    assert not _follows(admin, ticket)


def test_r1_2_vendor_staff_follow_escalated_tickets_others_are_refused(world, api_as):
    ticket = escalated(world)
    assert api_as(Role.L3_ENGINEER).post(f"tickets/{ticket.pk}/follow").json()["following"] is True
    refused = api_as(Role.SALES).post(f"tickets/{ticket.pk}/follow")
    assert refused.status_code == 403 and refused.json()["detail"]
    assert not _follows(world.user(Role.SALES), ticket)


def test_r1_1_another_partners_ticket_is_not_found_and_the_refusal_logged(world, api_as):
    ticket = escalated(world)
    outsider = world.outsider[Role.L1_AGENT]
    api = api_as(outsider)
    for method in ("get", "post", "delete"):
        logged = refusals_logged(outsider)
        response = getattr(api, method)(f"tickets/{ticket.pk}/follow")
        assert response.status_code == 404, method
        assert refusals_logged(outsider) == logged + 1
    assert not _follows(outsider, ticket)


def test_r1_2_the_vendor_cannot_follow_a_first_level_ticket_it_does_not_see(world, api_as):
    ticket = first_level(world)
    assert api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/follow").status_code == 404
    assert not _follows(world.user(Role.L2_AGENT), ticket)


def _page_client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_r7_1_the_ticket_page_follows_and_unfollows(world):
    ticket = escalated(world)
    admin = world.user(Role.PARTNER_ADMIN)
    client = _page_client(admin)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="follow" value="1"' in page and ">Follow</button>" in page
    response = client.post(f"/tickets/{ticket.pk}/follow/", {"follow": "1"}, follow=True)
    assert _follows(admin, ticket)
    page = response.content.decode()
    assert "You follow this ticket" in page and ">Stop following</button>" in page
    response = client.post(f"/tickets/{ticket.pk}/follow/", {"follow": "0"}, follow=True)
    assert not _follows(admin, ticket) and "You no longer follow this ticket." in response.content.decode()


def test_r12_1_the_follow_button_speaks_german(world):
    ticket = escalated(world)
    client = _page_client(world.user(Role.L1_AGENT), "de")  # the creator follows
    assert ">Nicht mehr folgen</button>" in client.get(f"/tickets/{ticket.pk}/").content.decode()


def test_r1_4_roles_that_cannot_follow_see_no_button_and_are_refused(world):
    ticket = escalated(world)
    sales = world.user(Role.SALES)
    client = _page_client(sales)
    assert 'name="follow"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()
    response = client.post(f"/tickets/{ticket.pk}/follow/", {"follow": "1"}, follow=True)
    assert response.status_code == 200 and "Your role does not allow this action." in response.content.decode()
    assert not _follows(sales, ticket)


def test_r1_1_the_follow_page_answers_another_partners_ticket_with_404(world):
    ticket = escalated(world)
    client = _page_client(world.outsider[Role.PARTNER_ADMIN])
    assert client.post(f"/tickets/{ticket.pk}/follow/", {"follow": "1"}).status_code == 404
    assert client.get(f"/tickets/{ticket.pk}/follow/").status_code == 405
