"""Plans, contracts and time accounting through the services, on the database (R2-R4, R10.7)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerdesk.accounts.choices import Role
from partnerdesk.billing import selectors as billing_selectors
from partnerdesk.contracts import pricing, selectors, services
from partnerdesk.contracts.choices import ContractEventKind, ContractState
from partnerdesk.contracts.models import ContractEvent, ContractTerm, Plan, QuotaNotification
from partnerdesk.tickets.choices import Level
from partnerdesk.worklog import selectors as worklog_selectors
from partnerdesk.worklog import services as worklog_services
from partnerdesk.worklog.models import TimeEntry
from tests.factories import EndCustomerFactory

from .conftest import ago, book, escalated_ticket, make_contract

# --- R2 plans ---------------------------------------------------------------------------------------


def test_r2_1_plans_l_m_s_are_installed_on_first_start(db):
    plans = {p.code: p for p in Plan.objects.filter(is_standard=True)}
    assert set(plans) == {"L", "M", "S"}
    assert (plans["L"].fee, plans["L"].term_months, plans["L"].included_minutes_per_term) == (
        Decimal("899.00"),
        12,
        480,
    )
    assert (plans["M"].fee, plans["M"].included_minutes_per_term) == (Decimal("499.00"), 240)
    assert (plans["S"].fee, plans["S"].term_months, plans["S"].included_minutes_per_term) == (Decimal("0.00"), None, 0)
    assert plans["S"].tier_values() == [(0, 3725), (4, 3225)]
    assert plans["S"].minimum_units_per_ticket == 0


def test_r2_2_sales_creates_an_individual_plan_only_its_partner_sees(world):
    plan = services.create_plan(
        acting_user=world.user(Role.SALES),
        code="IND-A",
        name="Nordlicht individual",
        partner=world.partner_a,
        values={
            "fee": Decimal("1500.00"),
            "term_months": 24,
            "included_minutes_per_term": 1200,
            "rate_scope": "contract_term",
            "rate_tiers": [{"from_unit": 0, "unit_price": Decimal("20.00")}],
        },
    )
    assert plan.fee_cents == 150_000
    assert plan in selectors.plans_visible_to(world.user(Role.L1_AGENT))
    assert plan not in selectors.plans_visible_to(world.outsider[Role.L1_AGENT])


def test_r2_2_only_sales_creates_plans(world):
    with pytest.raises(PermissionDenied):
        services.create_plan(
            acting_user=world.user(Role.L2_AGENT), code="X", name="X", values={"rate_scope": "ticket", "rate_tiers": []}
        )


def test_r2_2_bad_plan_values_are_all_reported_as_field_errors(world):
    with pytest.raises(ValidationError) as error:
        services.create_plan(
            acting_user=world.user(Role.SALES),
            code="L",
            name="",
            values={
                "fee": Decimal("1.234"),
                "included_minutes_per_term": 100,
                "term_months": 0,
                "rate_scope": "month",
                "rate_tiers": [{"from_unit": 2, "unit_price": Decimal("10")}],
            },
        )
    assert {"code", "name", "fee", "term_months", "rate_scope"} <= set(error.value.message_dict)
    assert not Plan.objects.filter(name="").exists()


def test_r2_2_contract_overrides_plan_values_and_keeps_them_when_the_plan_changes(world):
    contract = make_contract(world, "L", overrides={"fee": Decimal("799.00"), "included_minutes_per_term": 600})
    assert (contract.fee_cents, contract.included_units_per_term) == (79_900, 40)
    assert contract.overridden_values() == ["fee_cents", "included_minutes_per_term"]
    Plan.objects.filter(code="L").update(fee_cents=99_900)
    contract.refresh_from_db()
    assert contract.fee_cents == 79_900
    assert contract.terms.get().included_units_granted == 40


def test_r2_2_partner_admin_requests_an_individual_contract_by_mail(
    world, django_capture_on_commit_callbacks, run_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_individual_contract(acting_user=world.user(Role.PARTNER_ADMIN), message="We need 20 h.")
    assert not mail.outbox  # written to the outbox; the worker sends it
    run_worker()
    (message,) = mail.outbox
    assert message.to == ["sales@groupios.com"]
    assert "We need 20 h." in message.body


# --- R3 contracts ------------------------------------------------------------------------------------


def test_r3_1_r3_5_activation_records_the_first_term_with_its_fee(world):
    contract = make_contract(world, "L")
    term = contract.terms.get()
    assert contract.state == ContractState.ACTIVE
    assert (term.index, term.fee, term.included_units_granted) == (0, Decimal("899.00"), 32)
    assert term.end_date == pricing.add_months(contract.start_date, 12) - timedelta(days=1)


def test_r3_1_fixed_term_contract_renews_automatically_and_records_it(world):
    contract = make_contract(world, "M", start=timezone.localdate() - timedelta(days=360))
    assert list(contract.terms.values_list("index", flat=True)) == [0]
    next_term_starts = pricing.add_months(contract.start_date, 12)
    at = timezone.make_aware(datetime.combine(next_term_starts, time(9)))
    assert services.settle_contracts(at=at).terms_created == 1
    assert list(contract.terms.values_list("index", "start_date", "fee_cents")) == [
        (0, contract.start_date, 49_900),
        (1, next_term_starts, 49_900),  # the renewal's fee is recorded for the billing run (R3.5)
    ]
    renewal = contract.events.get(kind=ContractEventKind.RENEWED)
    assert (renewal.actor, renewal.details["term"]) == (None, 2)
    assert services.settle_contracts(at=at).terms_created == 0  # idempotent


def test_r3_1_a_contract_entered_late_gets_every_term_since_its_start(world):
    contract = make_contract(world, "L", start=timezone.localdate() - timedelta(days=800))
    assert list(contract.terms.values_list("index", flat=True)) == [0, 1, 2]
    assert contract.events.filter(kind=ContractEventKind.RENEWED).count() == 2


def test_r3_1_s_runs_until_cancelled_in_one_open_term(world):
    contract = make_contract(world, "S", start=timezone.localdate() - timedelta(days=900))
    term = contract.terms.get()
    assert (term.index, term.end_date, term.fee_cents, term.included_units_granted) == (0, None, 0, 0)


def test_r3_4_cancelled_contract_runs_to_the_end_of_its_term_then_ends(world):
    contract = make_contract(world, "L")
    cancelled = services.cancel_contract(
        acting_user=world.user(Role.PARTNER_ADMIN), contract=contract, reason="Moving to S"
    )
    term = contract.terms.get()
    assert (cancelled.state, cancelled.end_date) == (ContractState.CANCELLED, term.end_date)
    after_end = timezone.make_aware(datetime.combine(term.end_date + timedelta(days=1), time(0)))
    assert services.settle_contracts(at=after_end).ended == [contract.pk]
    contract.refresh_from_db()
    assert contract.state == ContractState.ENDED
    kinds = list(contract.events.values_list("kind", "from_state", "to_state", "actor__email"))
    assert kinds == [
        ("created", "", "draft", "sales@vendor.example"),
        ("activated", "draft", "active", "sales@vendor.example"),
        ("cancelled", "active", "cancelled", "partner_admin@a.example"),
        ("ended", "cancelled", "ended", None),
    ]
    assert contract.events.get(kind="cancelled").reason == "Moving to S"


def test_r3_4_cancelling_twice_is_refused(world):
    contract = make_contract(world, "L")
    services.cancel_contract(acting_user=world.user(Role.SALES), contract=contract)
    with pytest.raises(ValidationError):
        services.cancel_contract(acting_user=world.user(Role.SALES), contract=contract)
    assert contract.events.filter(kind=ContractEventKind.CANCELLED).count() == 1


def test_r3_4_l1_agent_and_other_partners_cannot_cancel(world):
    contract = make_contract(world, "L")
    for user in (world.user(Role.L1_AGENT), world.outsider[Role.PARTNER_ADMIN], world.user(Role.L2_AGENT)):
        with pytest.raises(PermissionDenied):
            services.cancel_contract(acting_user=user, contract=contract)
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE


def test_r3_4_draft_is_activated_with_history(world):
    contract = make_contract(world, "M", activate=False)
    assert contract.state == ContractState.DRAFT and not contract.terms.exists()
    services.activate_contract(acting_user=world.user(Role.SALES), contract=contract)
    contract.refresh_from_db()
    assert contract.state == ContractState.ACTIVE
    assert contract.events.filter(kind="activated", actor=world.user(Role.SALES)).exists()


def test_r3_3_contract_covers_all_or_listed_end_customers(world):
    other = EndCustomerFactory(partner=world.partner_a, number=2)
    listed = make_contract(world, "M", covers_all_end_customers=False, end_customers=[other])
    everyone = make_contract(world, "S")
    assert set(selectors.contracts_covering(end_customer=world.customer_a)) == {everyone}
    assert set(selectors.contracts_covering(end_customer=other)) == {listed, everyone}
    assert not selectors.contracts_covering(end_customer=world.customer_b).exists()


def test_r3_3_listed_end_customers_must_be_the_partners(world):
    with pytest.raises(ValidationError) as error:
        make_contract(world, "M", covers_all_end_customers=False, end_customers=[world.customer_b])
    assert "end_customer_ids" in error.value.message_dict


def test_r3_3_default_contract_is_the_one_with_included_time_left_else_s(world, agent):
    s = make_contract(world, "S")
    m = make_contract(world, "M")
    assert selectors.default_contract_for(end_customer=world.customer_a) == m
    book(agent, escalated_ticket(m), 240)  # all 16 units of M
    assert selectors.default_contract_for(end_customer=world.customer_a) == s
    assert selectors.default_contract_for(end_customer=world.customer_b) is None


def test_r3_3_ended_and_draft_contracts_cover_nothing(world):
    make_contract(world, "M", activate=False)
    ended = make_contract(world, "L", start=timezone.localdate() + timedelta(days=10))
    services.cancel_contract(acting_user=world.user(Role.SALES), contract=ended)  # before its start: ends now
    ended.refresh_from_db()
    assert ended.state == ContractState.ENDED
    assert not selectors.contracts_covering(end_customer=world.customer_a).exists()


# --- R4 time accounting ----------------------------------------------------------------------------


def test_r4_1_vendor_staff_record_who_when_what(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    started = ago(hours=3)
    entry = book(agent, ticket, 25, started_at=started, activity="callback", text="Called back about VPN")
    entry.refresh_from_db()
    assert (entry.agent, entry.started_at, entry.minutes, entry.activity, entry.billable) == (
        agent,
        started,
        25,
        "callback",
        True,
    )


@pytest.mark.parametrize("role", [Role.SALES, Role.BILLING, Role.PARTNER_ADMIN, Role.L1_AGENT])
def test_r4_1_only_l2_l3_and_admin_book_time(world, l_contract, role):
    with pytest.raises(PermissionDenied):
        book(world.user(role), escalated_ticket(l_contract), 15)
    assert not TimeEntry.objects.exists()


def test_r4_1_time_only_on_escalated_tickets(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    ticket.level, ticket.escalated_at = Level.FIRST, None
    ticket.save()
    with pytest.raises(ValidationError) as error:
        book(agent, ticket, 15)
    assert "ticket_id" in error.value.message_dict


def test_r4_1_time_can_still_be_booked_after_the_ticket_was_handed_back(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    ticket.level = Level.FIRST  # handed back to the partner (R5.6); escalated_at stays
    ticket.save()
    assert book(agent, ticket, 15).included_units == 1


def test_r4_3_l_contract_31_of_32_used_20_minutes_gives_1_included_and_1_extra_at_22_25(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    book(agent, ticket, 465)  # 31 units
    entry = book(agent, ticket, 20)
    assert (entry.units, entry.included_units, entry.extra_units, entry.amount) == (2, 1, 1, Decimal("22.25"))
    term = l_contract.terms.get()
    assert (term.included_units_used, term.extra_units, term.extra_amount) == (32, 1, Decimal("22.25"))


def test_r4_3_a_late_entry_with_an_earlier_start_does_not_reprice_earlier_bookings(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    first = book(agent, ticket, 480, started_at=ago(hours=5))  # all 32 units
    late = book(agent, ticket, 30, started_at=ago(days=10))  # started earlier, booked later
    first.refresh_from_db()
    assert (first.included_units, first.extra_units) == (32, 0)
    assert (late.included_units, late.extra_units, late.amount) == (0, 2, Decimal("44.50"))


def test_r4_3_entry_is_charged_to_the_term_in_which_its_work_started(world, agent):
    start = timezone.localdate() - timedelta(days=370)
    contract = make_contract(world, "L", start=start)
    ticket = escalated_ticket(contract)
    old_term_day = timezone.make_aware(datetime.combine(start + timedelta(days=364), time(23)))
    old = book(agent, ticket, 120, started_at=old_term_day)
    new = book(agent, ticket, 120)
    assert (old.term.index, new.term.index) == (0, 1)
    assert old.term.included_units_used == 8 and new.term.included_units_used == 8


def test_r4_5_s_ticket_with_70_minutes_costs_181_25(world, agent, s_contract):
    entry = book(agent, escalated_ticket(s_contract), 70)
    assert entry.amount == Decimal("181.25")
    assert entry.charge_lines == [{"quantity": 4, "unit_price_cents": 3725}, {"quantity": 1, "unit_price_cents": 3225}]


def test_r4_5_s_first_hour_per_ticket_across_entries(world, agent, s_contract):
    t1, t2 = escalated_ticket(s_contract, subject="one"), escalated_ticket(s_contract, subject="two")
    amounts = [book(agent, t, m).amount for t, m in ((t1, 45), (t2, 45), (t1, 45))]
    assert amounts == [Decimal("111.75"), Decimal("111.75"), Decimal("101.75")]


def test_r4_5_first_hour_in_full_option_per_contract(world, agent):
    contract = make_contract(world, "S", overrides={"minimum_units_per_ticket": 4})
    ticket = escalated_ticket(contract)
    assert book(agent, ticket, 10).amount == Decimal("149.00")
    assert book(agent, ticket, 20).amount == Decimal("0.00")


def test_r4_6_non_billable_entry_shows_at_zero_and_uses_no_included_time(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 60, billable=False)
    assert (entry.units, entry.included_units, entry.extra_units, entry.amount) == (4, 0, 0, Decimal("0.00"))
    assert l_contract.terms.get().included_units_used == 0


def test_r4_6_marking_non_billable_gives_units_back_without_repricing_others(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    defect = book(agent, ticket, 480)
    extra = book(agent, ticket, 15)
    worklog_services.set_entry_billable(acting_user=world.user(Role.L3_ENGINEER), entry=defect, billable=False)
    extra.refresh_from_db()
    term = l_contract.terms.get()
    assert (term.included_units_used, term.extra_units) == (0, 1)
    assert extra.amount == Decimal("22.25")  # not re-priced
    assert not worklog_selectors.ledger_discrepancies(l_contract)
    again = worklog_services.set_entry_billable(acting_user=world.user(Role.BILLING), entry=defect, billable=True)
    assert (again.included_units, again.extra_units) == (32, 0)


def test_r4_7_invoiced_entry_cannot_be_changed_or_deleted(world, agent, l_contract):
    entry = book(agent, escalated_ticket(l_contract), 30)
    TimeEntry.objects.filter(pk=entry.pk).update(invoiced_at=timezone.now())
    for action in (
        lambda: worklog_services.set_entry_billable(acting_user=agent, entry=entry, billable=False),
        lambda: worklog_services.delete_time_entry(acting_user=agent, entry=entry),
        lambda: worklog_services.correct_time_entry(acting_user=agent, entry=entry, minutes=15),
    ):
        with pytest.raises(ValidationError) as error:
            action()
        assert "invoiced_at" in error.value.message_dict
    entry.refresh_from_db()
    assert (entry.minutes, entry.billable, entry.included_units) == (30, True, 2)


def test_r4_7_entry_not_yet_invoiced_can_be_corrected_or_deleted(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    entry = book(agent, ticket, 30)
    corrected = worklog_services.correct_time_entry(acting_user=agent, entry=entry, minutes=50)
    # Corrected in place: same entry, charged again at the current position.
    assert (corrected.pk, corrected.units, corrected.included_units) == (entry.pk, 4, 4)
    assert l_contract.terms.get().included_units_used == 4
    assert worklog_selectors.ledger_discrepancies(l_contract) == []
    worklog_services.delete_time_entry(acting_user=agent, entry=corrected)
    assert l_contract.terms.get().included_units_used == 0
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()


def test_r4_8_database_refuses_a_ledger_using_more_than_granted(world, l_contract):
    term = l_contract.terms.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContractTerm.objects.filter(pk=term.pk).update(included_units_used=33)


def test_r4_8_database_refuses_an_entry_whose_split_does_not_add_up(world, agent, l_contract):
    entry = book(agent, escalated_ticket(l_contract), 30)
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.filter(pk=entry.pk).update(extra_units=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(["L", "M", "S"]),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["book", "book", "book", "late", "unbill", "delete"]),
            st.integers(min_value=0, max_value=2),
            st.integers(min_value=1, max_value=600),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_r4_8_ledger_invariant_holds_for_random_bookings_and_total_matches_reference(world, code, steps):
    with transaction.atomic():
        contract = make_contract(world, code)
        agent = world.user(Role.L2_AGENT)
        tickets = [escalated_ticket(contract, subject=f"t{i}") for i in range(3)]
        for action, which, minutes in steps:
            entries = list(TimeEntry.objects.filter(contract=contract).order_by("pk"))
            if action in ("unbill", "delete") and entries:
                entry = entries[minutes % len(entries)]
                if action == "delete":
                    worklog_services.delete_time_entry(acting_user=agent, entry=entry)
                else:
                    worklog_services.set_entry_billable(acting_user=agent, entry=entry, billable=not entry.billable)
                continue
            started = ago(days=5) if action == "late" else ago(hours=1)
            book(agent, tickets[which], minutes, started_at=started)
        assert worklog_selectors.ledger_discrepancies(contract) == []
        term = contract.terms.get()
        assert term.included_units_used <= term.included_units_granted
        # Replaying the surviving billable entries in booking order gives the same split and total
        # when nothing was given back; with give-backs the total can only be lower or equal.
        billable = list(TimeEntry.objects.filter(contract=contract, billable=True).order_by("pk"))
        replay = pricing.charge_sequence(
            contract.schedule, term.included_units_granted, [(str(e.ticket_id), e.minutes) for e in billable]
        )
        if all(a == "book" or a == "late" for a, _, _ in steps):
            assert [(e.included_units, e.extra_units, e.amount_cents) for e in billable] == [
                (c.included_units, c.extra_units, c.amount_cents) for c in replay
            ]
        transaction.set_rollback(True)


def test_r4_9_partner_admins_and_sales_are_told_at_75_and_100_percent_once(
    world, agent, l_contract, django_capture_on_commit_callbacks, run_worker
):
    ticket = escalated_ticket(l_contract)
    with django_capture_on_commit_callbacks(execute=True):
        book(agent, ticket, 345)  # 23 units: 71 %
    run_worker()
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        book(agent, ticket, 15)  # 24 units: 75 %
    run_worker()
    assert {tuple(m.to) for m in mail.outbox} == {("partner_admin@a.example",), ("sales@vendor.example",)}
    assert "75%" in mail.outbox[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        book(agent, ticket, 15)
    run_worker()
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        book(agent, ticket, 600)  # crosses 100 %
    run_worker()
    assert len(mail.outbox) == 2 and "100%" in mail.outbox[0].subject
    assert list(QuotaNotification.objects.values_list("threshold", flat=True).order_by("threshold")) == [75, 100]


@override_settings(PARTNERDESK_QUOTA_THRESHOLDS=(50,))
def test_r4_9_thresholds_are_a_setting(world, agent, l_contract, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(agent, escalated_ticket(l_contract), 240)
    assert list(QuotaNotification.objects.values_list("threshold", flat=True)) == [50]


# --- bad input (R13.1): clear error, nothing written ---------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": -15}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": 10**9}, "minutes"),
        ({"minutes": "30"}, "minutes"),
        ({"minutes": 30.0}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"activity": "coffee"}, "activity"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": timezone.now().replace(tzinfo=None)}, "started_at"),
        ({"started_at": timezone.now() + timedelta(hours=2)}, "started_at"),
        ({"text": "x" * 5000}, "text"),
        ({"billable": "yes"}, "billable"),
    ],
)
def test_r13_1_bad_time_entry_input_is_a_field_error_and_nothing_is_written(world, agent, l_contract, changes, field):
    ticket = escalated_ticket(l_contract)
    values = {"started_at": ago(hours=1), "minutes": 30, "activity": "analysis", "text": "", "billable": True}
    with pytest.raises(ValidationError) as error:
        worklog_services.book_time_entry(acting_user=agent, ticket=ticket, **{**values, **changes})
    assert field in error.value.message_dict
    assert not TimeEntry.objects.exists()
    assert l_contract.terms.get().included_units_used == 0


def test_r13_1_no_entry_on_another_partners_contract(world, agent):
    contract_b = make_contract(world, "L", partner=world.partner_b)
    ticket = escalated_ticket(make_contract(world, "S"))
    ticket.charged_contract = contract_b  # inconsistent data must not move money between partners
    ticket.save()
    with pytest.raises(ValidationError):
        book(agent, ticket, 30)
    assert not TimeEntry.objects.exists()


def test_r13_1_no_entry_on_an_ended_contract(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    l_contract.state, l_contract.end_date = ContractState.CANCELLED, timezone.localdate() - timedelta(days=1)
    l_contract.save()
    with pytest.raises(ValidationError) as error:
        book(agent, ticket, 30, started_at=ago(days=2))
    assert "ticket_id" in error.value.message_dict
    assert not TimeEntry.objects.exists()


def test_r13_1_no_entry_before_the_contract_started(world, agent, l_contract):
    with pytest.raises(ValidationError) as error:
        book(agent, escalated_ticket(l_contract), 30, started_at=ago(days=40))
    assert "started_at" in error.value.message_dict


def test_r13_1_no_entry_on_a_ticket_without_contract(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    ticket.charged_contract = None
    ticket.save()
    with pytest.raises(ValidationError):
        book(agent, ticket, 30)


def test_r13_1_bad_contract_input_writes_nothing(world):
    before = ContractEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        make_contract(
            world,
            "L",
            start=timezone.localdate() + timedelta(days=365 * 20),
            overrides={"fee": "abc", "unit_minutes": 0, "colour": "red"},
        )
    assert {"start_date", "overrides.fee", "overrides.unit_minutes", "overrides.colour"} <= set(
        error.value.message_dict
    )
    assert ContractEvent.objects.count() == before


def test_r2_2_partner_cannot_use_another_partners_individual_plan(world):
    plan = services.create_plan(
        acting_user=world.user(Role.SALES),
        code="IND-B",
        name="B only",
        partner=world.partner_b,
        values={"rate_scope": "ticket", "rate_tiers": [{"from_unit": 0, "unit_price": 30}]},
    )
    with pytest.raises(ValidationError) as error:
        services.create_contract(
            acting_user=world.user(Role.SALES), partner=world.partner_a, plan=plan, start_date=timezone.localdate()
        )
    assert "plan_id" in error.value.message_dict


# --- R10.7 usage -----------------------------------------------------------------------------------


def test_r10_7_usage_shows_included_used_and_left_extra_and_the_next_invoice(world, agent, l_contract):
    ticket = escalated_ticket(l_contract)
    book(agent, ticket, 465)
    book(agent, ticket, 20)
    usage = billing_selectors.contract_usage(l_contract)
    current = usage.current
    assert current is not None
    assert (current.included_units_used, current.included_units_left, current.included_minutes_left) == (32, 0, 0)
    assert (current.extra_units, current.extra_amount, current.percent_used) == (1, Decimal("22.25"), 100)
    lines = [(line.quantity, line.unit_price, line.amount) for line in usage.next_invoice.lines]
    assert lines == [
        (1, Decimal("899.00"), Decimal("899.00")),  # the term's fee (R3.5)
        (32, Decimal("0.00"), Decimal("0.00")),  # included, at 0 for information (R10.1)
        (1, Decimal("22.25"), Decimal("22.25")),
    ]
    assert usage.next_invoice.total == Decimal("921.25")


def test_r10_7_usage_before_any_booking_reads_the_full_grant_without_writing(world):
    contract = make_contract(world, "M", start=timezone.localdate() - timedelta(days=400))
    terms_before = ContractTerm.objects.count()
    usage = billing_selectors.contract_usage(contract)
    assert [t.number for t in usage.terms] == [1, 2]
    assert usage.current is not None and usage.current.included_minutes_left == 240
    assert ContractTerm.objects.count() == terms_before


def test_r10_7_quote_says_what_an_entry_would_cost_without_booking(world, agent, s_contract):
    ticket = escalated_ticket(s_contract)
    book(agent, ticket, 45)
    quote = worklog_selectors.quote_time_entry(
        contract=s_contract, ticket_id=ticket.pk, started_at=ago(hours=1), minutes=45
    )
    assert quote.amount == Decimal("101.75")
    assert TimeEntry.objects.count() == 1
