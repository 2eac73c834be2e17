"""Contract and plan pages: Sales and Billing manage, partners see their contracts and use (R10.7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.contracts.models import Contract, Plan

from .conftest import book, escalated_ticket, make_contract, standard_plan


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "role", [Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.PARTNER_ADMIN, Role.L1_AGENT]
)
def test_r10_7_every_role_sees_the_contract_pages_it_may(world, role):
    contract = make_contract(world, "L")
    book(world.user(Role.L2_AGENT), escalated_ticket(contract), 465)
    client = logged_in(world.user(role))
    listing = client.get("/contracts/")
    assert listing.status_code == 200
    assert contract.label.encode() in listing.content
    detail = client.get(f"/contracts/{contract.pk}/")
    assert detail.status_code == 200
    assert b"7:45" in detail.content  # 465 minutes of included time used
    assert client.get("/plans/").status_code == 200
    assert b'href="/contracts/"' in client.get("/").content  # in the menu


def test_r1_1_partner_gets_404_for_another_partners_contract_page(world):
    foreign = make_contract(world, "L", partner=world.partner_b)
    client = logged_in(world.user(Role.PARTNER_ADMIN))
    assert client.get(f"/contracts/{foreign.pk}/").status_code == 404
    assert client.post(f"/contracts/{foreign.pk}/cancel/").status_code == 404
    assert world.partner_b.name.encode() not in client.get("/contracts/").content
    foreign.refresh_from_db()
    assert foreign.state == "active"


def test_r3_1_sales_creates_a_contract_on_the_page(world):
    client = logged_in(world.user(Role.SALES))
    page = client.get(f"/contracts/new/?partner={world.partner_a.pk}")
    assert page.status_code == 200
    assert world.customer_a.pseudonym.encode() in page.content
    assert world.customer_a.name.encode() not in page.content  # pseudonym only (R1.3)
    response = client.post(
        "/contracts/new/",
        {
            "partner": world.partner_a.pk,
            "plan": standard_plan("S").pk,
            "start_date": timezone.localdate().isoformat(),
            "end_customers": [world.customer_a.pk],
            "rate_tiers": "0: 35.00\n4: 30.00",
            "minimum_units_per_ticket": "4",
            "activate": "on",
            "reason": "Pilot",
        },
    )
    contract = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.tier_values() == [(0, 3500), (4, 3000)]
    assert (contract.minimum_units_per_ticket, contract.covers_all_end_customers) == (4, False)
    assert list(contract.end_customers.all()) == [world.customer_a]


def test_r3_1_htmx_partner_change_lists_its_end_customers(world):
    client = logged_in(world.user(Role.SALES))
    response = client.get(f"/contracts/new/?partner={world.partner_b.pk}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert world.customer_b.pseudonym.encode() in response.content
    assert b"<html" not in response.content


def test_r13_1_contract_form_errors_are_shown_and_nothing_is_written(world):
    client = logged_in(world.user(Role.SALES))
    response = client.post(
        "/contracts/new/",
        {
            "partner": world.partner_a.pk,
            "plan": standard_plan("L").pk,
            "start_date": "2025-02-30",
            "included_minutes_per_term": "100",
            "rate_tiers": "zero: 1",
        },
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Contract.objects.exists()


def test_r13_1_override_the_service_refuses_is_shown_on_its_field(world):
    client = logged_in(world.user(Role.SALES))
    response = client.post(
        "/contracts/new/",
        {
            "partner": world.partner_a.pk,
            "plan": standard_plan("L").pk,
            "start_date": timezone.localdate().isoformat(),
            "included_minutes_per_term": "100",
        },
    )
    assert response.status_code == 200
    assert "included_minutes_per_term" in response.context["form"].errors
    assert not Contract.objects.exists()


@pytest.mark.parametrize("role", [Role.BILLING, Role.L2_AGENT, Role.PARTNER_ADMIN, Role.L1_AGENT])
def test_r1_4_only_sales_and_admin_open_the_create_pages(world, role):
    client = logged_in(world.user(role))
    assert client.get("/contracts/new/").status_code == 403
    assert client.get("/plans/new/").status_code == 403


def test_r3_4_partner_admin_cancels_on_the_page(world):
    contract = make_contract(world, "L")
    client = logged_in(world.user(Role.PARTNER_ADMIN))
    assert b"Cancel contract" in client.get(f"/contracts/{contract.pk}/").content
    response = client.post(f"/contracts/{contract.pk}/cancel/", {"reason": "Budget"}, follow=True)
    assert response.status_code == 200
    contract.refresh_from_db()
    assert contract.state == "cancelled"
    assert b"Budget" in response.content  # in the history
    assert b"Cancel contract" not in response.content


def test_r3_4_l1_agent_sees_no_cancel_button(world):
    contract = make_contract(world, "L")
    client = logged_in(world.user(Role.L1_AGENT))
    assert b"Cancel contract" not in client.get(f"/contracts/{contract.pk}/").content
    assert client.post(f"/contracts/{contract.pk}/cancel/").status_code == 403


def test_r3_4_sales_activates_a_draft_on_the_page(world):
    contract = make_contract(world, "M", activate=False)
    client = logged_in(world.user(Role.SALES))
    client.post(f"/contracts/{contract.pk}/activate/")
    contract.refresh_from_db()
    assert contract.state == "active"


def test_r2_2_sales_creates_a_custom_plan_on_the_page(world):
    client = logged_in(world.user(Role.SALES))
    response = client.post(
        "/plans/new/",
        {
            "code": "XL",
            "name": "Model XL",
            "fee": "1599.00",
            "term_months": "12",
            "notice_days": "30",
            "included_minutes_per_term": "960",
            "unit_minutes": "15",
            "rate_scope": "contract_term",
            "rate_tiers": "0: 20,00",
        },
    )
    assert response.status_code == 302
    plan = Plan.objects.get(code="XL")
    assert (plan.fee_cents, plan.included_units_per_term, plan.tier_values()) == (159_900, 64, [(0, 2000)])


def test_r2_2_partner_sees_public_and_own_individual_plans_only(world):
    Plan.objects.create(
        code="IND-B",
        name="Alpen special",
        partner=world.partner_b,
        rate_scope="ticket",
        rate_tiers=[{"from_unit": 0, "unit_price_cents": 100}],
    )
    content = logged_in(world.user(Role.L1_AGENT)).get("/plans/").content
    assert b"Model L" in content and b"Alpen special" not in content
    assert b"89.00" in content and b"149.00" in content


def test_r2_2_partner_admin_requests_an_individual_contract_on_the_page(
    world, django_capture_on_commit_callbacks, run_worker
):
    client = logged_in(world.user(Role.PARTNER_ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contracts/request/", {"message": "We need 30 hours a year."})
    assert response.status_code == 302
    run_worker()
    assert mail.outbox[0].to == ["sales@groupios.com"]


def test_r10_7_partner_sees_next_invoice_preview(world):
    contract = make_contract(world, "S", start=timezone.localdate() - timedelta(days=3))
    book(world.user(Role.L2_AGENT), escalated_ticket(contract), 70)
    content = logged_in(world.user(Role.L1_AGENT)).get(f"/contracts/{contract.pk}/").content
    assert b"181.25" in content and b"37.25" in content and b"32.25" in content


def test_r6_3_sales_sets_service_level_targets_on_the_contract_form(world):
    client = logged_in(world.user(Role.SALES))
    client.post(
        "/contracts/new/",
        {
            "partner": world.partner_a.pk,
            "plan": standard_plan("M").pk,
            "start_date": timezone.localdate().isoformat(),
            "covers_all_end_customers": "on",
            "first_response_minutes": "120",
            "activate": "on",
        },
    )
    contract = Contract.objects.get()
    assert contract.first_response_minutes == 120
    assert contract.resolution_minutes == standard_plan("M").resolution_minutes
    assert b"first response within 2:00 h" in client.get(f"/contracts/{contract.pk}/").content
