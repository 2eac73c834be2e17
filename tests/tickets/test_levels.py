"""Tickets through the three levels (R5.1-R5.10, R1.2, R3.3, R6.3)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.tickets import selectors, services
from partnerdesk.tickets.choices import Category, Level, MessageKind, TicketState
from partnerdesk.tickets.clocks import vendor_calendar
from partnerdesk.tickets.models import Message, Ticket, TicketTransition
from tests.contracts.conftest import make_contract

from .conftest import captured_ticket

pytestmark = pytest.mark.django_db


def _escalate(world, ticket, **kwargs):
    return services.escalate(acting_user=world.user(Role.L1_AGENT), ticket=ticket, **kwargs)


def test_r5_1_first_level_opens_a_ticket_for_its_own_end_customer(world):
    ticket = services.create_ticket(
        acting_user=world.user(Role.L1_AGENT), end_customer=world.customer_a, subject="Login fails"
    )
    assert (ticket.partner, ticket.level, ticket.state) == (world.partner_a, Level.FIRST, TicketState.NEW)
    with pytest.raises(PermissionDenied):
        services.create_ticket(acting_user=world.user(Role.L1_AGENT), end_customer=world.customer_b, subject="x")
    with pytest.raises(PermissionDenied):
        services.create_ticket(acting_user=world.user(Role.L2_AGENT), end_customer=world.customer_a, subject="x")


def test_r5_2_refusal_lists_every_missing_capture_field(world, l_contract):
    ticket = services.create_ticket(
        acting_user=world.user(Role.L1_AGENT), end_customer=world.customer_a, subject="Crash", product="groupios"
    )
    with pytest.raises(ValidationError) as refusal:
        _escalate(world, ticket)
    missing = set(refusal.value.message_dict)
    assert missing == {
        "product_version",
        "environment",
        "description",
        "steps_to_reproduce",
        "expected_behaviour",
        "actual_behaviour",
        "error_messages",
        "business_impact",
        "tried_by_first_level",
        "manual_sections_consulted",
        "category",
    }
    ticket.refresh_from_db()
    assert ticket.level == Level.FIRST and ticket.charged_contract is None


def test_r5_2_the_vendor_chooses_which_capture_fields_are_required(world, l_contract):
    with override_settings(TICKET_REQUIRED_CAPTURE=["description", "category"]):
        ticket = services.create_ticket(
            acting_user=world.user(Role.L1_AGENT),
            end_customer=world.customer_a,
            subject="Crash",
            description="It crashes.",
            category=Category.SOFTWARE_DEFECT,
        )
        assert _escalate(world, ticket).level == Level.SECOND


@pytest.mark.parametrize("category", [Category.INSTALLATION, Category.OPERATION, Category.OTHER])
def test_r5_3_second_level_covers_malfunction_and_defect_only(world, l_contract, category):
    ticket = captured_ticket(world, category=category)
    with pytest.raises(ValidationError) as refusal:
        _escalate(world, ticket)
    assert list(refusal.value.message_dict) == ["category"]
    assert "manual" in refusal.value.message_dict["category"][0]


def test_r5_4_refusal_names_every_failed_condition_at_once(world):
    ticket = services.create_ticket(
        acting_user=world.user(Role.L1_AGENT),
        end_customer=world.customer_a,
        subject="Setup",
        category=Category.INSTALLATION,
    )
    with pytest.raises(ValidationError) as refusal:
        _escalate(world, ticket)
    problems = refusal.value.message_dict
    assert "category" in problems and "contract_id" in problems and "description" in problems


def test_r5_4_only_partner_users_escalate(world, l_contract, ticket):
    with pytest.raises(PermissionDenied):
        services.escalate(acting_user=world.user(Role.L2_AGENT), ticket=ticket)
    with pytest.raises(PermissionDenied):
        services.escalate(acting_user=world.outsider[Role.L1_AGENT], ticket=ticket)


def test_r3_3_escalation_charges_one_covering_contract(world, ticket):
    s_contract = make_contract(world, "S")
    l_contract = make_contract(world, "L")
    # Default: the one with included minutes left, not S.
    assert _escalate(world, ticket).charged_contract == l_contract
    other = captured_ticket(world)
    assert _escalate(world, other, contract=s_contract).charged_contract == s_contract


def test_r3_3_escalation_refused_without_covering_active_contract(world, ticket):
    foreign = make_contract(world, "L", partner=world.partner_b)
    with pytest.raises(ValidationError) as refusal:
        _escalate(world, ticket, contract=foreign)
    assert list(refusal.value.message_dict) == ["contract_id"]


def test_r1_2_first_level_tickets_are_invisible_to_the_vendor(world, l_contract, ticket):
    vendor = world.user(Role.L2_AGENT)
    assert not selectors.tickets_visible_to(vendor).filter(pk=ticket.pk).exists()
    _escalate(world, ticket)
    assert selectors.tickets_visible_to(vendor).filter(pk=ticket.pk).exists()
    assert not selectors.tickets_visible_to(world.outsider[Role.L1_AGENT]).filter(pk=ticket.pk).exists()


def test_r5_5_partner_chooses_what_the_vendor_sees_and_internal_notes_never_cross(world, l_contract, ticket):
    agent = world.user(Role.L1_AGENT)
    shared = services.post_message(acting_user=agent, ticket=ticket, kind=MessageKind.END_CUSTOMER, body="Log attached")
    private = services.post_message(acting_user=agent, ticket=ticket, kind=MessageKind.END_CUSTOMER, body="Angry call")
    note = services.post_message(acting_user=agent, ticket=ticket, kind=MessageKind.PARTNER_NOTE, body="Pays late")
    with pytest.raises(ValidationError):
        _escalate(world, ticket, shared_message_ids=[note.pk])
    _escalate(world, ticket, shared_message_ids=[shared.pk])
    seen = set(selectors.messages_visible_to(world.user(Role.L2_AGENT), ticket).values_list("pk", flat=True))
    assert shared.pk in seen and private.pk not in seen and note.pk not in seen


def test_r5_9_vendor_notes_are_never_shown_to_the_partner(world, l_contract, ticket):
    _escalate(world, ticket)
    vendor = world.user(Role.L2_AGENT)
    note = services.post_message(acting_user=vendor, ticket=ticket, kind=MessageKind.VENDOR_NOTE, body="Known bug")
    reply = services.post_message(acting_user=vendor, ticket=ticket, kind=MessageKind.THREAD, body="Try 4.2.2")
    seen = set(selectors.messages_visible_to(world.user(Role.L1_AGENT), ticket).values_list("pk", flat=True))
    assert reply.pk in seen and note.pk not in seen
    with pytest.raises(ValidationError):
        services.post_message(acting_user=vendor, ticket=ticket, kind=MessageKind.PARTNER_NOTE, body="x")


def test_r5_6_hand_back_reasons(world, l_contract):
    vendor = world.user(Role.L2_AGENT)
    out_of_scope = _escalate(world, captured_ticket(world))
    services.hand_back(acting_user=vendor, ticket=out_of_scope, reason="out_of_scope", message="Installation topic")
    out_of_scope.refresh_from_db()
    assert (out_of_scope.level, out_of_scope.state) == (Level.FIRST, TicketState.IN_PROGRESS)

    missing = _escalate(world, captured_ticket(world))
    services.hand_back(acting_user=vendor, ticket=missing, reason="information_missing", message="Need the logs")
    # The capture reopens: the partner can change it again, and must escalate again.
    services.update_capture(
        acting_user=world.user(Role.L1_AGENT), ticket=missing, changes={"error_messages": "full log"}
    )

    answered = _escalate(world, captured_ticket(world))
    services.hand_back(acting_user=vendor, ticket=answered, reason="answered", message="Set DPD to 60 s")
    answered.refresh_from_db()
    assert (answered.level, answered.state) == (Level.SECOND, TicketState.WAITING_FOR_PARTNER)
    assert answered.clock_paused_at is not None
    with pytest.raises(PermissionDenied):
        services.hand_back(acting_user=world.user(Role.L1_AGENT), ticket=answered, reason="answered", message="x")


def test_r5_7_third_level_follows_second_and_partner_stays_the_contact(world, l_contract, ticket):
    with pytest.raises(ValidationError):
        _escalate(world, ticket, level=Level.THIRD)
    _escalate(world, ticket)
    _escalate(world, ticket, level=Level.THIRD)
    ticket.refresh_from_db()
    assert (ticket.level, ticket.state) == (Level.THIRD, TicketState.THIRD_LEVEL)
    # L2 may also move it there.
    other = _escalate(world, captured_ticket(world))
    services.escalate(acting_user=world.user(Role.L2_AGENT), ticket=other, level=Level.THIRD)
    other.refresh_from_db()
    assert other.level == Level.THIRD


def test_r5_8_every_transition_records_who_when_from_to_and_why(world, l_contract, ticket):
    _escalate(world, ticket, note="Needs the vendor")
    services.resolve(acting_user=world.user(Role.L3_ENGINEER), ticket=ticket, note="Hotfix 4.2.2")
    services.close(acting_user=world.user(Role.PARTNER_ADMIN), ticket=ticket)
    rows = list(TicketTransition.objects.filter(ticket=ticket).values_list("from_state", "to_state", "reason"))
    assert rows == [
        ("", "new", "created"),
        ("new", "escalated", "escalated"),
        ("escalated", "resolved", "resolved"),
        ("resolved", "closed", "closed"),
    ]
    last = TicketTransition.objects.filter(ticket=ticket).last()
    assert last.actor == world.user(Role.PARTNER_ADMIN) and last.at is not None


def test_r5_8_reopen_only_within_the_window(world, l_contract, ticket):
    _escalate(world, ticket)
    services.resolve(acting_user=world.user(Role.L2_AGENT), ticket=ticket)
    services.reopen(acting_user=world.user(Role.L1_AGENT), ticket=ticket, reason="Drops again")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ESCALATED
    services.resolve(acting_user=world.user(Role.L2_AGENT), ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=15))
    with pytest.raises(ValidationError) as refusal:
        services.reopen(acting_user=world.user(Role.L1_AGENT), ticket=ticket, reason="Again")
    assert "14" in refusal.value.message_dict["state"][0]


def test_r5_10_defect_status_is_visible_to_the_partner(world, l_contract, ticket):
    _escalate(world, ticket)
    defect = services.link_defect(
        acting_user=world.user(Role.L3_ENGINEER), ticket=ticket, key="GRP-1234", title="IPsec DPD ignored"
    )
    services.update_defect(
        acting_user=world.user(Role.L3_ENGINEER), defect=defect, status="fixed", fixed_in_version="4.2.2"
    )
    partner_view = selectors.defects_visible_to(world.user(Role.L1_AGENT)).get()
    assert (partner_view.status, partner_view.fixed_in_version) == ("fixed", "4.2.2")
    assert not selectors.defects_visible_to(world.outsider[Role.L1_AGENT]).exists()
    with pytest.raises(PermissionDenied):
        services.link_defect(acting_user=world.user(Role.L1_AGENT), ticket=ticket, key="X", title="y")


def test_r6_3_clocks_start_at_escalation_in_support_minutes(world, l_contract, ticket):
    ticket = _escalate(world, ticket)
    calendar = vendor_calendar()
    assert ticket.first_response_due_at == calendar.add(
        ticket.escalated_at, timedelta(minutes=l_contract.first_response_minutes)
    )
    assert ticket.due_at == ticket.first_response_due_at
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="On it")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.due_at == ticket.resolution_due_at


def test_r6_3_clocks_stop_while_waiting_for_the_partner(world, l_contract, ticket):
    ticket = _escalate(world, ticket)
    services.hand_back(acting_user=world.user(Role.L2_AGENT), ticket=ticket, reason="answered", message="Try this")
    ticket.refresh_from_db()
    assert ticket.due_at is None and ticket.clock_paused_at is not None
    due_before = ticket.resolution_due_at
    paused_at = timezone.now() - timedelta(days=3)
    Ticket.objects.filter(pk=ticket.pk).update(clock_paused_at=paused_at)
    services.escalate(acting_user=world.user(Role.L1_AGENT), ticket=ticket, level=Level.THIRD)
    ticket.refresh_from_db()
    pause = vendor_calendar().between(paused_at, ticket.transitions.last().at)
    assert abs(ticket.resolution_due_at - vendor_calendar().add(due_before, pause)) < timedelta(seconds=1)
    assert ticket.clock_paused_at is None


def test_r5_9_messages_on_closed_tickets_are_refused(world, ticket):
    services.resolve(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    services.close(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    with pytest.raises(ValidationError):
        services.post_message(
            acting_user=world.user(Role.L1_AGENT), ticket=ticket, kind=MessageKind.PARTNER_NOTE, body="x"
        )
    assert not Message.objects.filter(ticket=ticket).exists()


def test_r6_3_breach_risk_raises_a_notification_once(
    world, l_contract, ticket, mailoutbox, django_capture_on_commit_callbacks, run_worker
):
    ticket = _escalate(world, ticket)
    assert services.notify_breach_risks(now=ticket.escalated_at) == 0  # hours away
    near = vendor_calendar().add(ticket.due_at, -timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify_breach_risks(now=near) == 1
        assert services.notify_breach_risks(now=near) == 0
    run_worker()
    risks = [m for m in mailoutbox if "Service level at risk" in m.subject]  # the escalation was told too
    assert len(risks) == 1
    assert world.user(Role.L2_AGENT).email in risks[0].to
    assert f"[#{ticket.pk}]" in risks[0].subject


def test_r9_1_shared_correspondence_reaches_the_vendor_with_contact_persons_masked(world, l_contract, ticket, api_as):
    agent = world.user(Role.L1_AGENT)
    letter = services.post_message(
        acting_user=agent,
        ticket=ticket,
        kind=MessageKind.END_CUSTOMER,
        body=f"Jens Hansen ({world.contact_a.email}) reports the drops since Monday.",
    )
    _escalate(world, ticket, shared_message_ids=[letter.pk])
    vendor_view = api_as(Role.L2_AGENT).get(f"tickets/{ticket.pk}/messages").json()["items"]
    text = str(vendor_view)
    assert "reports the drops since Monday" in text
    assert "Jens Hansen" not in text and world.contact_a.email not in text
    partner_view = str(api_as(Role.L1_AGENT).get(f"tickets/{ticket.pk}/messages").json())
    assert "Jens Hansen" in partner_view


def test_r5_6_partner_reply_after_answered_returns_the_ticket_to_the_vendor_and_resumes_the_clock(
    world, l_contract, ticket, api_as
):
    ticket = _escalate(world, ticket)
    l2 = world.user(Role.L2_AGENT)
    services.hand_back(acting_user=l2, ticket=ticket, reason="answered", message="Set DPD to 60 s")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WAITING_FOR_PARTNER and ticket.due_at is None
    queue = api_as(Role.L2_AGENT).get("tickets?state=escalated").json()["items"]
    assert ticket.pk not in [t["id"] for t in queue]
    # The partner answers in the shared thread: the ticket is the vendor's again, its clock runs.
    services.post_message(acting_user=world.user(Role.L1_AGENT), ticket=ticket, kind="thread", body="Still drops")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.level) == (TicketState.ESCALATED, Level.SECOND)
    assert ticket.clock_paused_at is None and ticket.due_at is not None
    last = ticket.transitions.last()
    assert (last.from_state, last.to_state, last.reason) == ("waiting_for_partner", "escalated", "partner_replied")
    queue = api_as(Role.L2_AGENT).get("tickets?state=escalated").json()["items"]
    assert ticket.pk in [t["id"] for t in queue]


def test_r5_6_partner_internal_note_does_not_return_the_ticket(world, l_contract, ticket):
    ticket = _escalate(world, ticket)
    services.hand_back(acting_user=world.user(Role.L2_AGENT), ticket=ticket, reason="answered", message="Try this")
    services.post_message(acting_user=world.user(Role.L1_AGENT), ticket=ticket, kind="partner_note", body="Asking")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.WAITING_FOR_PARTNER


def test_r5_7_explicit_return_goes_back_to_third_level_where_it_was(world, l_contract, ticket, api_as):
    ticket = _escalate(world, ticket)
    services.escalate(acting_user=world.user(Role.L2_AGENT), ticket=ticket, level=Level.THIRD)
    l3 = world.user(Role.L3_ENGINEER)
    services.hand_back(acting_user=l3, ticket=ticket, reason="answered", message="Patch attached")
    response = api_as(Role.L1_AGENT).post(f"tickets/{ticket.pk}/return-to-vendor", {"note": "Patch did not help"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["level"]) == ("third_level", 3)
    again = api_as(Role.L1_AGENT).post(f"tickets/{ticket.pk}/return-to-vendor", {})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "state"
    assert api_as(Role.L2_AGENT).post(f"tickets/{ticket.pk}/return-to-vendor", {}).status_code == 403


@pytest.mark.parametrize(
    "query", ["Hansen", "hansen", "Jens Hansen VPN", "HANSEN", "jens@hansen.example", "Bäckerei Hansen KG"]
)
def test_r9_1_vendor_search_cannot_probe_for_hidden_names(world, l_contract, api_as, query):
    ticket = captured_ticket(world, subject="Jens Hansen VPN drops at Bäckerei Hansen KG jens@hansen.example")
    _escalate(world, ticket)
    vendor = api_as(Role.L2_AGENT)

    def found(client, text):
        return [t["id"] for t in client.get("tickets?" + urlencode({"q": text})).json()["items"]]

    assert found(vendor, query) == []
    # The words the vendor is shown still find the ticket, and the partner finds it by the name.
    assert found(vendor, "VPN drops") == [ticket.pk]
    assert found(api_as(Role.L1_AGENT), query) == [ticket.pk]
