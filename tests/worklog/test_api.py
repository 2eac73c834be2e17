"""Time-entry routes beyond booking: correction, the cost preview (same figures as the booking)."""

from __future__ import annotations

from partnerdesk.accounts.choices import Role
from partnerdesk.worklog.models import TimeEntry
from tests.contracts.conftest import ago, escalated_ticket, make_contract


def _iso(moment) -> str:
    return moment.isoformat()


def test_r4_7_correction_through_the_api_recharges_in_place(world, api_as):
    contract = make_contract(world, "S")
    ticket = escalated_ticket(contract)
    client = api_as(Role.L2_AGENT)
    booked = client.post(
        f"tickets/{ticket.pk}/time-entries",
        {"started_at": _iso(ago(hours=1)), "minutes": 30, "activity": "email"},
    ).json()
    response = client.patch(f"tickets/{ticket.pk}/time-entries/{booked['id']}", {"minutes": 70})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["minutes"], body["units"], body["amount"]) == (booked["id"], 70, 5, "181.25")
    assert TimeEntry.objects.count() == 1


def test_r13_1_bad_correction_is_422_naming_the_field_and_changes_nothing(world, api_as):
    contract = make_contract(world, "L")
    ticket = escalated_ticket(contract)
    client = api_as(Role.L2_AGENT)
    booked = client.post(
        f"tickets/{ticket.pk}/time-entries", {"started_at": _iso(ago(hours=1)), "minutes": 30, "activity": "email"}
    ).json()
    response = client.patch(f"tickets/{ticket.pk}/time-entries/{booked['id']}", {"minutes": 0})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "minutes"
    assert TimeEntry.objects.get().minutes == 30
    assert contract.terms.get().included_units_used == 2


def test_r4_5_quote_is_what_the_booking_then_charges(world, api_as):
    ticket = escalated_ticket(make_contract(world, "S"))
    client = api_as(Role.L2_AGENT)
    payload = {"started_at": _iso(ago(hours=1)), "minutes": 70}
    quote = client.post(f"tickets/{ticket.pk}/time-entries/quote", payload)
    assert quote.status_code == 200, quote.content
    assert not TimeEntry.objects.exists()
    booked = client.post(f"tickets/{ticket.pk}/time-entries", {**payload, "activity": "email"}).json()
    assert (quote.json()["units"], quote.json()["amount"]) == (booked["units"], booked["amount"]) == (5, "181.25")
    assert quote.json()["charge_lines"] == booked["charge_lines"]


def test_r4_1_partner_cannot_ask_for_a_quote(world, api_as):
    ticket = escalated_ticket(make_contract(world, "S"))
    response = api_as(Role.PARTNER_ADMIN).post(
        f"tickets/{ticket.pk}/time-entries/quote", {"started_at": _iso(ago(hours=1)), "minutes": 30}
    )
    assert response.status_code == 403
