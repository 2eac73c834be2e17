"""The contracts API: plans, contracts, usage, time entries; isolation, roles, bad input, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.contracts.models import Contract, ContractEvent, Plan
from partnerdesk.worklog.models import TimeEntry

from .conftest import ago, book, escalated_ticket, make_contract, standard_plan


def iso(moment) -> str:
    return moment.isoformat()


# --- plans ------------------------------------------------------------------------------------------


def test_r2_1_plans_are_listed_with_money_as_decimal_strings(world, api_as):
    body = api_as(Role.L1_AGENT).get("plans").json()
    plans = {p["code"]: p for p in body["items"]}
    assert plans["L"]["fee"] == "899.00"
    assert plans["L"]["rate_tiers"] == [{"from_unit": 0, "unit_price": "22.25"}]
    assert plans["S"]["rate_tiers"] == [
        {"from_unit": 0, "unit_price": "37.25"},
        {"from_unit": 4, "unit_price": "32.25"},
    ]
    assert plans["S"]["term_months"] is None


def test_r2_2_sales_creates_a_custom_plan_and_others_may_not(world, api_as):
    payload = {
        "code": "IND-7",
        "name": "Nordlicht 20 h",
        "partner_id": world.partner_a.pk,
        "fee": "1500.00",
        "term_months": 12,
        "included_minutes_per_term": 1200,
        "rate_scope": "contract_term",
        "rate_tiers": [{"from_unit": 0, "unit_price": "20.00"}],
    }
    assert api_as(Role.L2_AGENT).post("plans", payload).status_code == 403
    response = api_as(Role.SALES).post("plans", payload)
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    assert api_as(Role.L1_AGENT).get(f"plans/{plan_id}").status_code == 200
    assert api_as(world.outsider[Role.L1_AGENT]).get(f"plans/{plan_id}").status_code == 404


def test_r13_1_bad_plan_is_422_with_fields(world, api_as):
    response = api_as(Role.SALES).post(
        "plans",
        {
            "code": "X",
            "name": "X",
            "fee": "1.001",
            "rate_scope": "ticket",
            "rate_tiers": [{"from_unit": 3, "unit_price": 1}],
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "fee" in fields
    assert not Plan.objects.filter(code="X").exists()


# --- contracts --------------------------------------------------------------------------------------


def contract_payload(world, **changes):
    return {
        "partner_id": world.partner_a.pk,
        "plan_id": standard_plan("L").pk,
        "start_date": (timezone.localdate() - timedelta(days=10)).isoformat(),
        **changes,
    }


def test_r3_1_sales_creates_a_contract_with_overrides(world, api_as):
    response = api_as(Role.SALES).post(
        "contracts", contract_payload(world, overrides={"fee": "799.00", "notice_days": 30}, reason="Deal 42")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["fee"], body["notice_days"], body["plan_code"]) == ("active", "799.00", 30, "L")
    assert body["overridden_values"] == ["fee_cents", "notice_days"]
    assert ContractEvent.objects.filter(contract_id=body["id"], reason="Deal 42").exists()


def test_r3_3_contract_for_listed_end_customers(world, api_as):
    response = api_as(Role.SALES).post(
        "contracts",
        contract_payload(world, covers_all_end_customers=False, end_customer_ids=[world.customer_a.pk]),
    )
    assert response.status_code == 201, response.content
    assert response.json()["end_customer_ids"] == [world.customer_a.pk]


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.L1_AGENT, Role.L2_AGENT, Role.BILLING])
def test_r1_4_only_sales_and_admin_create_contracts(world, api_as, role):
    assert api_as(role).post("contracts", contract_payload(world)).status_code == 403
    assert not Contract.objects.exists()


def test_r1_1_partner_sees_only_its_own_contracts(world, api_as):
    own = make_contract(world, "L")
    foreign = make_contract(world, "M", partner=world.partner_b)
    client = api_as(Role.L1_AGENT)
    assert [c["id"] for c in client.get("contracts").json()["items"]] == [own.pk]
    for path in (f"contracts/{foreign.pk}", f"contracts/{foreign.pk}/usage", f"contracts/{foreign.pk}/events"):
        assert client.get(path).status_code == 404
    assert client.post(f"contracts/{foreign.pk}/cancel", {}).status_code == 404
    assert {c["id"] for c in api_as(Role.BILLING).get("contracts").json()["items"]} == {own.pk, foreign.pk}


def test_r3_4_partner_admin_cancels_and_history_shows_it(world, api_as):
    contract = make_contract(world, "L")
    response = api_as(Role.PARTNER_ADMIN).post(f"contracts/{contract.pk}/cancel", {"reason": "Too much"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    assert response.json()["end_date"] == contract.terms.get().end_date.isoformat()
    events = api_as(Role.SALES).get(f"contracts/{contract.pk}/events").json()["items"]
    assert [(e["kind"], e["actor_name"]) for e in events][-1] == ("cancelled", str(world.user(Role.PARTNER_ADMIN)))
    again = api_as(Role.PARTNER_ADMIN).post(f"contracts/{contract.pk}/cancel", {})
    assert again.status_code == 422


def test_r3_4_draft_then_activate(world, api_as):
    created = api_as(Role.SALES).post("contracts", contract_payload(world, activate=False)).json()
    assert created["state"] == "draft"
    assert api_as(Role.L1_AGENT).post(f"contracts/{created['id']}/activate", {}).status_code == 403
    response = api_as(Role.SALES).post(f"contracts/{created['id']}/activate", {})
    assert response.json()["state"] == "active"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"plan_id": "L"}, "plan_id"),
        ({"overrides": {"fee": "-1"}}, "overrides.fee"),
        ({"overrides": {"unit_minutes": 0}}, "overrides.unit_minutes"),
        ({"overrides": {"included_minutes_per_term": 100}}, "overrides.included_minutes_per_term"),
        ({"overrides": {"colour": "red"}}, "overrides.colour"),
        ({"covers_all_end_customers": False}, "end_customer_ids"),
        ({"extra": 1}, "extra"),
    ],
)
def test_r13_1_bad_contract_input_is_422_and_writes_nothing(world, api_as, changes, field):
    response = api_as(Role.SALES).post("contracts", contract_payload(world, **changes))
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Contract.objects.exists()


def test_r1_4_foreign_ids_in_the_body_are_404(world, api_as):
    plan_b = Plan.objects.create(
        code="IND-B",
        name="B",
        partner=world.partner_b,
        rate_scope="ticket",
        rate_tiers=[{"from_unit": 0, "unit_price_cents": 100}],
    )
    client = api_as(Role.SALES)
    response = client.post("contracts", contract_payload(world, plan_id=plan_b.pk))
    assert response.status_code == 422  # visible to Sales, but another partner's plan
    assert client.post("contracts", contract_payload(world, plan_id=10**6)).status_code == 404
    assert (
        client.post(
            "contracts", contract_payload(world, covers_all_end_customers=False, end_customer_ids=[world.customer_b.pk])
        ).status_code
        == 422
    )
    assert not Contract.objects.exists()


# --- usage (R10.7) ------------------------------------------------------------------------------------


def test_r10_7_partner_sees_usage_and_the_next_invoice(world, api_as):
    contract = make_contract(world, "L")
    ticket = escalated_ticket(contract)
    agent = world.user(Role.L2_AGENT)
    book(agent, ticket, 465)
    book(agent, ticket, 20)
    body = api_as(Role.L1_AGENT).get(f"contracts/{contract.pk}/usage").json()
    current = body["current"]
    assert (current["included_units_used"], current["included_units_left"], current["extra_units"]) == (32, 0, 1)
    assert (current["included_minutes_used"], current["extra_amount"], current["percent_used"]) == (480, "22.25", 100)
    assert body["next_invoice"]["total"] == "921.25"
    assert [line["amount"] for line in body["next_invoice"]["lines"]] == ["899.00", "0.00", "22.25"]


def test_r10_7_usage_on_a_day_and_bad_days(world, api_as):
    contract = make_contract(world, "L")
    client = api_as(Role.PARTNER_ADMIN)
    before = client.get(f"contracts/{contract.pk}/usage?day={(contract.start_date - timedelta(days=1)).isoformat()}")
    assert before.status_code == 200 and before.json()["current"] is None
    assert client.get(f"contracts/{contract.pk}/usage?day=9999-12-31").status_code == 422
    assert client.get(f"contracts/{contract.pk}/usage?day=tomorrow").status_code == 422


# --- time entries ---------------------------------------------------------------------------------


def entry_payload(**changes):
    return {"started_at": iso(ago(hours=1)), "minutes": 70, "activity": "web_meeting", "text": "Meeting", **changes}


def test_r4_5_l2_agent_books_an_s_ticket_and_partner_sees_the_price(world, api_as):
    ticket = escalated_ticket(make_contract(world, "S"))
    response = api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/time-entries", entry_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["units"], body["amount"], body["term_number"]) == (5, "181.25", 1)
    assert body["charge_lines"] == [
        {"quantity": 4, "unit_price": "37.25", "amount": "149.00"},
        {"quantity": 1, "unit_price": "32.25", "amount": "32.25"},
    ]
    listed = api_as(Role.L1_AGENT).get(f"tickets/{ticket.pk}/time-entries").json()
    assert [e["id"] for e in listed["items"]] == [body["id"]]


def test_r4_3_split_entry_through_the_api(world, api_as):
    ticket = escalated_ticket(make_contract(world, "L"))
    client = api_as(Role.L3_ENGINEER)
    client.post(f"tickets/{ticket.pk}/time-entries", entry_payload(minutes=465))
    body = client.post(f"tickets/{ticket.pk}/time-entries", entry_payload(minutes=20)).json()
    assert (body["included_units"], body["extra_units"], body["amount"]) == (1, 1, "22.25")


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.L1_AGENT, Role.SALES, Role.BILLING])
def test_r4_1_only_vendor_support_books_time(world, api_as, role):
    ticket = escalated_ticket(make_contract(world, "L"))
    assert api_as(role).post(f"tickets/{ticket.pk}/time-entries", entry_payload()).status_code == 403
    assert not TimeEntry.objects.exists()


def test_r1_2_vendor_cannot_see_or_book_on_first_level_tickets(world, api_as):
    ticket = escalated_ticket(make_contract(world, "L"))
    ticket.level, ticket.escalated_at = 1, None
    ticket.save()
    client = api_as(Role.L2_AGENT)
    assert client.get(f"tickets/{ticket.pk}/time-entries").status_code == 404
    assert client.post(f"tickets/{ticket.pk}/time-entries", entry_payload()).status_code == 404


def test_r1_1_other_partners_ticket_is_404(world, api_as):
    ticket_b = escalated_ticket(make_contract(world, "L", partner=world.partner_b))
    entry = book(world.user(Role.L2_AGENT), ticket_b, 30)
    client = api_as(Role.PARTNER_ADMIN)
    assert client.get(f"tickets/{ticket_b.pk}/time-entries").status_code == 404
    assert (
        client.post(f"tickets/{ticket_b.pk}/time-entries/{entry.pk}/billable", {"billable": False}).status_code == 404
    )
    assert client.delete(f"tickets/{ticket_b.pk}/time-entries/{entry.pk}").status_code == 404
    entry.refresh_from_db()
    assert entry.billable


def test_r1_1_entry_of_another_ticket_is_404_under_this_ticket(world, api_as):
    contract = make_contract(world, "L")
    ticket, other = escalated_ticket(contract), escalated_ticket(contract, subject="other")
    entry = book(world.user(Role.L2_AGENT), other, 30)
    response = api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/time-entries/{entry.pk}/billable", {"billable": False})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -30}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": 99999999999999999999}, "minutes"),
        ({"minutes": "30"}, "minutes"),
        ({"minutes": 30.5}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"minutes": None}, "minutes"),
        ({"activity": "coffee"}, "activity"),
        ({"started_at": "2025-01-01T10:00:00"}, "started_at"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": iso(timezone.now() + timedelta(days=1))}, "started_at"),
        ({"started_at": "0001-01-01T00:00:00+14:00"}, "started_at"),
        ({"text": "x" * 5000}, "text"),
        ({"billable": "no"}, "billable"),
        ({"contract_id": 1}, "contract_id"),
    ],
)
def test_r13_1_bad_time_entry_is_422_naming_the_field_and_writes_nothing(world, api_as, changes, field):
    contract = make_contract(world, "L")
    ticket = escalated_ticket(contract)
    response = api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/time-entries", entry_payload(**changes))
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not TimeEntry.objects.exists()
    assert contract.terms.get().included_units_used == 0


def test_r13_1_entry_on_ended_contract_is_422(world, api_as):
    contract = make_contract(world, "S")
    ticket = escalated_ticket(contract)
    api_as(Role.SALES).post(f"contracts/{contract.pk}/cancel", {})  # S: ends today
    Contract.objects.filter(pk=contract.pk).update(end_date=timezone.localdate() - timedelta(days=1))
    response = api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/time-entries", entry_payload())
    assert response.status_code == 422
    assert not TimeEntry.objects.exists()


def test_r4_6_r4_7_billable_flag_and_delete_through_the_api(world, api_as):
    ticket = escalated_ticket(make_contract(world, "L"))
    client = api_as(Role.L2_AGENT)
    entry = client.post(f"tickets/{ticket.pk}/time-entries", entry_payload(minutes=30)).json()
    body = client.post(f"tickets/{ticket.pk}/time-entries/{entry['id']}/billable", {"billable": False}).json()
    assert (body["billable"], body["amount"], body["included_units"]) == (False, "0.00", 0)
    TimeEntry.objects.filter(pk=entry["id"]).update(invoiced_at=timezone.now())
    assert client.delete(f"tickets/{ticket.pk}/time-entries/{entry['id']}").status_code == 422
    TimeEntry.objects.filter(pk=entry["id"]).update(invoiced_at=None)
    assert client.delete(f"tickets/{ticket.pk}/time-entries/{entry['id']}").status_code == 204
    assert not TimeEntry.objects.exists()


def test_r13_3_retried_booking_with_the_same_idempotency_key_books_once(world, api_as):
    ticket = escalated_ticket(make_contract(world, "L"))
    client = api_as(Role.L2_AGENT)
    payload = entry_payload(minutes=30)
    first = client.post(f"tickets/{ticket.pk}/time-entries", payload, **{"Idempotency-Key": "abc"})
    second = client.post(f"tickets/{ticket.pk}/time-entries", payload, **{"Idempotency-Key": "abc"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert TimeEntry.objects.count() == 1


def test_r2_2_partner_admin_requests_an_individual_contract(world, api_as):
    assert api_as(Role.PARTNER_ADMIN).post("contract-requests", {"message": "20 hours please"}).status_code == 201
    assert api_as(Role.L1_AGENT).post("contract-requests", {"message": "x"}).status_code == 403
    assert api_as(Role.PARTNER_ADMIN).post("contract-requests", {"message": ""}).status_code == 422


# --- query counts (no N+1) ----------------------------------------------------------------------------


def test_list_plans_query_count_is_constant(world, api_as, django_assert_max_num_queries):
    client = api_as(Role.SALES)
    with django_assert_max_num_queries(6):
        assert len(client.get("plans").json()["items"]) == 3


def test_list_contracts_query_count_is_constant(world, api_as, django_assert_max_num_queries):
    for _ in range(8):
        make_contract(world, "L", covers_all_end_customers=False, end_customers=[world.customer_a])
    client = api_as(Role.SALES)
    with django_assert_max_num_queries(7):
        assert len(client.get("contracts").json()["items"]) == 8


def test_list_time_entries_query_count_is_constant(world, api_as, django_assert_max_num_queries):
    ticket = escalated_ticket(make_contract(world, "S"))
    for _ in range(10):
        book(world.user(Role.L2_AGENT), ticket, 20)
    client = api_as(Role.L1_AGENT)
    with django_assert_max_num_queries(6):
        assert len(client.get(f"tickets/{ticket.pk}/time-entries").json()["items"]) == 10


def test_list_contract_events_query_count_is_constant(world, api_as, django_assert_max_num_queries):
    contract = make_contract(world, "L", start=timezone.localdate() - timedelta(days=1200))
    client = api_as(Role.SALES)
    with django_assert_max_num_queries(6):
        assert len(client.get(f"contracts/{contract.pk}/events").json()["items"]) >= 5


def test_r6_3_service_level_targets_are_plan_values_a_contract_may_override(world, api_as):
    plans = {p["code"]: p for p in api_as(Role.SALES).get("plans").json()["items"]}
    assert plans["L"]["first_response_minutes"] is not None
    response = api_as(Role.SALES).post(
        "contracts", contract_payload(world, overrides={"first_response_minutes": 60, "resolution_minutes": None})
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_response_minutes"], body["resolution_minutes"]) == (60, None)
    assert {"first_response_minutes", "resolution_minutes"} <= set(body["overridden_values"])
