"""Notifications by mail (R4.9, R6.3, R7.1, R9.1, R9.6): who is told what, once, in their language.

Every kind is exercised through the real services (tests/channels/notification_scenarios.py SCENARIOS); the outbox rows
written in the change's transaction are what the worker sends.
"""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from partnerdesk.accounts.choices import NotificationKind, Role
from partnerdesk.accounts.services import set_notification_switches
from partnerdesk.channels.addresses import reply_address, thread_id, ticket_of_address, ticket_of_thread_id
from partnerdesk.contracts.models import QuotaNotification
from partnerdesk.outbox.delivery import deliver_due
from partnerdesk.tickets import services
from partnerdesk.tickets.choices import Level, MessageKind, TicketState
from partnerdesk.tickets.models import Ticket, TicketFollower
from tests.contracts.conftest import book
from tests.factories import partner_user, vendor_user

from .notification_scenarios import (
    PARTNER_TEXT,
    SCENARIOS,
    SECRETS,
    escalated,
    first_level,
    german,
    last_pk,
    rows_after,
    to,
)

pytestmark = pytest.mark.django_db

BY_KIND = pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.kind)


def _run(world, scenario):
    state = scenario.prepare(world)
    before = last_pk()
    scenario.act(world, state)
    return state, before


# --- every kind -------------------------------------------------------------------------------------


@BY_KIND
def test_r7_1_each_kind_reaches_its_recipient_once_in_its_language(world, scenario):
    recipient = german(world.user(scenario.recipient))
    _state, before = _run(world, scenario)
    mine = rows_after(before, kind=scenario.row_kind, to=[recipient.email])
    assert len(mine) == 1, [r.subject for r in rows_after(before)]
    assert scenario.german in mine[0].subject
    assert scenario.english not in mine[0].subject


@BY_KIND
def test_r7_1_a_recipient_without_a_language_reads_the_installations_language(world, scenario, settings):
    recipient = world.user(scenario.recipient)
    assert recipient.language == "" and settings.LANGUAGE_CODE == "en"
    _state, before = _run(world, scenario)
    (row,) = rows_after(before, kind=scenario.row_kind, to=[recipient.email])
    assert scenario.english in row.subject


@BY_KIND
def test_r7_1_the_actor_is_never_told_of_its_own_action(world, scenario):
    if scenario.actor is None:
        pytest.skip("no one acts: the change is the worker's")
    actor = world.user(scenario.actor)
    _state, before = _run(world, scenario)
    assert rows_after(before, kind=scenario.row_kind)  # others were told
    assert actor.email not in to(rows_after(before))


@BY_KIND
def test_r7_1_a_kind_switched_off_gives_that_user_no_mail(world, scenario):
    recipient = world.user(scenario.recipient)
    set_notification_switches(acting_user=recipient, kinds_off=[scenario.kind])
    _state, before = _run(world, scenario)
    assert recipient.email not in to(rows_after(before))


@BY_KIND
def test_r7_1_ticket_mail_replies_land_on_the_ticket(world, scenario):
    """Reply-To is the ticket's reply address, the subject carries [#id], the ids thread the ticket's mails."""
    recipient = world.user(scenario.recipient)
    state, before = _run(world, scenario)
    (row,) = rows_after(before, kind=scenario.row_kind, to=[recipient.email])
    assert row.from_email == "support@groupios.example"  # the desk's own sender, no partner brand (R9.6)
    assert row.headers["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(rf"<notify\.{scenario.kind}\.[a-z]\d+\.u{recipient.pk}@groupios\.example>", row.message_id)
    if not scenario.ticket_mail:
        assert row.reply_to == [] and "[#" not in row.subject
        return
    ticket = state if isinstance(state, Ticket) else Ticket.objects.get()
    assert row.reply_to == [reply_address(ticket.pk)]
    assert ticket_of_address(row.reply_to[0]) == ticket.pk
    assert row.subject.startswith(f"[#{ticket.pk}] ")
    assert row.headers["References"] == thread_id(ticket.pk) and ticket_of_thread_id(thread_id(ticket.pk)) == ticket.pk


@BY_KIND
def test_r9_1_vendor_recipients_never_read_the_end_customers_data(world, scenario):
    _state, before = _run(world, scenario)
    rows = rows_after(before)
    vendor_addresses = {u.email for u in world.users.values() if u.is_vendor}
    for row in rows:
        text = row.subject + row.body
        if set(row.to) & vendor_addresses:
            assert not [secret for secret in SECRETS if secret in text], (row.kind, text)
            assert not row.confidential
        elif scenario.ticket_mail:
            assert row.confidential  # the partner's own mail names its end customer: hidden on the outbox page


def test_r9_1_the_vendor_reads_the_masked_texts_and_the_pseudonym(world):
    ticket = escalated(world)
    before = last_pk()
    services.post_message(
        acting_user=world.user(Role.L1_AGENT), ticket=ticket, kind=MessageKind.THREAD, body=PARTNER_TEXT
    )
    (row,) = rows_after(before, kind="partner_message")
    assert "still sees the drops" in row.body and "[name]" in row.body and "[e-mail]" in row.body
    assert world.customer_a.pseudonym in row.body
    assert world.partner_a.name in row.body


def test_r7_1_the_partner_reads_its_own_data(world):
    ticket = escalated(world)
    before = last_pk()
    services.post_message(
        acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Is Jens Hansen there?"
    )
    (row,) = rows_after(before, kind="vendor_message")
    assert "Jens Hansen" in row.subject and "Is Jens Hansen there?" in row.body
    assert "Bäckerei Hansen KG" in row.body


@override_settings(PARTNERDESK_BASE_URL="https://desk.example.com")
def test_r7_1_mails_link_the_ticket_and_the_profile_when_the_desk_address_is_set(world):
    ticket = escalated(world)
    before = last_pk()
    services.resolve(acting_user=world.user(Role.L2_AGENT), ticket=ticket)
    (row,) = rows_after(before, kind="ticket_resolved")
    assert f"https://desk.example.com/tickets/{ticket.pk}/" in row.body
    assert "https://desk.example.com/profile/" in row.body


def test_r7_1_the_worker_sends_a_notification_with_its_headers(world, mailoutbox):
    ticket = escalated(world)
    mailoutbox.clear()
    before = last_pk()
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Hi")
    (row,) = rows_after(before)
    deliver_due()
    (sent,) = [m for m in mailoutbox if m.extra_headers.get("Message-ID") == row.message_id]
    assert sent.to == [world.user(Role.L1_AGENT).email]
    assert sent.reply_to == [reply_address(ticket.pk)]
    assert sent.extra_headers["References"] == thread_id(ticket.pk)


# --- who is told, kind by kind --------------------------------------------------------------------


def test_r7_1_vendor_message_reaches_the_followers_not_the_other_partner_users(world):
    ticket = escalated(world)
    colleague = partner_user(world.partner_a, Role.L1_AGENT, email="colleague@a.example")
    services.follow(acting_user=colleague, ticket=ticket)
    before = last_pk()
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Hi")
    assert to(rows_after(before)) == sorted([world.user(Role.L1_AGENT).email, colleague.email])


def test_r7_1_vendor_message_without_followers_reaches_the_partner_admins(world):
    ticket = escalated(world)
    services.unfollow(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    second_admin = partner_user(world.partner_a, Role.PARTNER_ADMIN, email="admin2@a.example")
    partner_user(world.partner_a, Role.PARTNER_ADMIN, email="gone@a.example", is_active=False)
    before = last_pk()
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Hi")
    assert to(rows_after(before)) == sorted([world.user(Role.PARTNER_ADMIN).email, second_admin.email])
    assert world.outsider[Role.PARTNER_ADMIN].email not in to(rows_after(before))


def test_r7_1_escalation_reaches_the_vendor_queue_and_the_vendor_followers(world):
    ticket = first_level(world)
    second = vendor_user(Role.L2_AGENT, email="l2b@vendor.example")
    vendor_user(Role.L2_AGENT, email="l2-gone@vendor.example", is_active=False)
    before = last_pk()
    services.escalate_to_second_level(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    rows = rows_after(before)
    assert {r.kind for r in rows} == {"ticket_escalated"}
    assert to(rows) == sorted([world.user(Role.L2_AGENT).email, second.email])  # L3, Sales, admins: not


def test_r7_1_reopening_into_the_vendors_queue_is_an_escalation(world):
    ticket = escalated(world)
    l2 = world.user(Role.L2_AGENT)
    services.post_message(acting_user=l2, ticket=ticket, kind=MessageKind.THREAD, body="Try 4.2.2")
    services.resolve(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    admin = world.user(Role.VENDOR_ADMIN)
    services.follow(acting_user=admin, ticket=ticket)
    before = last_pk()
    services.reopen(acting_user=world.user(Role.L1_AGENT), ticket=ticket, reason="Drops again")
    rows = rows_after(before)
    assert {r.kind for r in rows} == {"ticket_escalated"}
    assert to(rows) == sorted([l2.email, admin.email])
    assert "Drops again" in rows[0].body


def test_r7_1_a_hand_back_is_one_mail_carrying_its_message(world):
    ticket = escalated(world)
    before = last_pk()
    services.hand_back(acting_user=world.user(Role.L2_AGENT), ticket=ticket, reason="answered", message="Set DPD.")
    (row,) = rows_after(before)
    assert row.kind == "ticket_handed_back" and row.to == [world.user(Role.L1_AGENT).email]
    assert "Set DPD." in row.body and "Answered" in row.body


def test_r7_1_a_hand_back_out_of_scope_says_the_ticket_is_at_first_level(world):
    ticket = escalated(world)
    before = last_pk()
    services.hand_back(
        acting_user=world.user(Role.L2_AGENT), ticket=ticket, reason="out_of_scope", message="Manual 4.3"
    )
    (row,) = rows_after(before)
    assert row.kind == "ticket_handed_back" and "first level again" in row.body


def test_r7_1_a_vendor_message_after_a_hand_back_is_told_again(world):
    ticket = escalated(world)
    l2 = world.user(Role.L2_AGENT)
    services.hand_back(acting_user=l2, ticket=ticket, reason="answered", message="Set DPD.")
    before = last_pk()
    services.post_message(acting_user=l2, ticket=ticket, kind=MessageKind.THREAD, body="And restart it.")
    assert [r.kind for r in rows_after(before)] == ["vendor_message"]


def test_r7_1_the_partners_reply_while_waiting_is_one_mail_to_the_vendor(world):
    ticket = escalated(world)
    l2 = world.user(Role.L2_AGENT)
    services.hand_back(acting_user=l2, ticket=ticket, reason="answered", message="Set DPD.")  # l2 now follows
    before = last_pk()
    services.post_message(acting_user=world.user(Role.L1_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Done")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ESCALATED
    (row,) = rows_after(before)
    assert row.kind == "partner_message" and row.to == [l2.email]


def test_r7_1_the_partners_return_to_the_vendor_reaches_the_vendor_followers(world):
    ticket = escalated(world)
    l2 = world.user(Role.L2_AGENT)
    other = vendor_user(Role.L2_AGENT, email="l2b@vendor.example")
    services.hand_back(acting_user=l2, ticket=ticket, reason="answered", message="Set DPD.")
    before = last_pk()
    services.return_to_vendor(acting_user=world.user(Role.L1_AGENT), ticket=ticket, note="Works now, but slowly")
    (row,) = rows_after(before)
    assert row.kind == "partner_message" and row.to == [l2.email]  # the follower, not the whole queue
    assert other.email not in row.to and "Works now, but slowly" in row.body


def test_r7_1_third_level_reaches_the_partner_side_and_the_l3_engineers(world):
    ticket = escalated(world)
    l2 = world.user(Role.L2_AGENT)
    services.post_message(acting_user=l2, ticket=ticket, kind=MessageKind.THREAD, body="Looks like a defect")
    before = last_pk()
    services.escalate(acting_user=world.user(Role.L1_AGENT), ticket=ticket, level=Level.THIRD, note="Still down")
    rows = rows_after(before)
    assert {r.kind for r in rows} == {"ticket_third_level"}
    # The L1 agent asked (its only partner follower: nobody else on the partner side); L3 and the L2 follower.
    assert to(rows) == sorted([world.user(Role.L3_ENGINEER).email, l2.email])


def test_r7_1_resolution_by_the_partner_reaches_the_vendor_side(world):
    ticket = escalated(world)
    before = last_pk()
    services.resolve(acting_user=world.user(Role.L1_AGENT), ticket=ticket, note="Solved by a reboot")
    (row,) = rows_after(before)
    assert row.kind == "ticket_resolved" and row.to == [world.user(Role.L2_AGENT).email]  # the queue
    assert "Solved by a reboot" in row.body


def test_r7_1_first_level_work_tells_nobody(world):
    ticket = first_level(world)
    before = last_pk()
    services.post_message(acting_user=world.user(Role.L1_AGENT), ticket=ticket, kind=MessageKind.PARTNER_NOTE, body="x")
    services.set_first_level_state(acting_user=world.user(Role.L1_AGENT), ticket=ticket, state="in_progress")
    services.resolve(acting_user=world.user(Role.PARTNER_ADMIN), ticket=ticket)
    services.close(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    assert rows_after(before) == []


def test_r7_1_disabled_users_and_disabled_partners_are_not_told(world):
    ticket = escalated(world)
    l1 = world.user(Role.L1_AGENT)
    world.partner_a.is_active = False
    world.partner_a.save(update_fields=["is_active"])
    before = last_pk()
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Hi")
    assert l1.email not in to(rows_after(before)) and rows_after(before) == []


# --- quota thresholds (R4.9) and breach risk (R6.3) -----------------------------------------------


def test_r4_9_partner_admins_and_sales_each_in_their_language(world):
    ticket = escalated(world)
    sales = german(world.user(Role.SALES))
    before = last_pk()
    book(world.user(Role.L2_AGENT), ticket, 400)
    rows = rows_after(before, kind="quota_notice")
    assert to(rows) == sorted([world.user(Role.PARTNER_ADMIN).email, sales.email])
    by_address = {r.to[0]: r for r in rows}
    assert "Inklusivzeit" in by_address[sales.email].subject and "75 %" in by_address[sales.email].subject
    assert "included time" in by_address[world.user(Role.PARTNER_ADMIN).email].subject
    notification = QuotaNotification.objects.get()
    assert {r.reference for r in rows} == {f"contracts.QuotaNotification:{notification.pk}"}


def test_r4_9_without_a_sales_user_the_sales_address_is_told(world, settings):
    ticket = escalated(world)
    sales = world.user(Role.SALES)
    sales.is_active = False
    sales.save(update_fields=["is_active"])
    before = last_pk()
    book(world.user(Role.L2_AGENT), ticket, 400)
    assert to(rows_after(before, kind="quota_notice")) == sorted(
        [world.user(Role.PARTNER_ADMIN).email, settings.PARTNERDESK_SALES_EMAIL]
    )


def test_r4_9_a_sales_user_who_switched_it_off_is_not_replaced_by_the_sales_address(world, settings):
    ticket = escalated(world)
    set_notification_switches(acting_user=world.user(Role.SALES), kinds_off=[NotificationKind.QUOTA_THRESHOLD])
    before = last_pk()
    book(world.user(Role.L2_AGENT), ticket, 400)
    assert to(rows_after(before, kind="quota_notice")) == [world.user(Role.PARTNER_ADMIN).email]


def test_r6_3_breach_risk_at_third_level_reaches_the_l3_engineers(world):
    ticket = escalated(world)
    services.escalate(acting_user=world.user(Role.L2_AGENT), ticket=ticket, level=Level.THIRD)
    Ticket.objects.filter(pk=ticket.pk).update(due_at=ticket.due_at.replace(year=2000))
    before = last_pk()
    assert services.notify_breach_risks() == 1
    (row,) = rows_after(before)
    assert row.kind == "breach_risk" and row.to == [world.user(Role.L3_ENGINEER).email]
    assert "is due at 2000-" in row.body
    assert services.notify_breach_risks() == 0 and rows_after(row.pk) == []  # once per clock and due time


# --- following (R7.1) ------------------------------------------------------------------------------


def test_r7_1_the_creator_and_whoever_writes_in_the_thread_follow_automatically(world):
    ticket = escalated(world)
    l1, l2, admin = world.user(Role.L1_AGENT), world.user(Role.L2_AGENT), world.user(Role.PARTNER_ADMIN)
    assert set(TicketFollower.objects.values_list("user", flat=True)) == {l1.pk}
    services.post_message(acting_user=l2, ticket=ticket, kind=MessageKind.THREAD, body="Hi")
    services.post_message(acting_user=admin, ticket=ticket, kind=MessageKind.PARTNER_NOTE, body="internal")
    services.post_message(acting_user=l1, ticket=ticket, kind=MessageKind.THREAD, body="Hello")
    assert set(TicketFollower.objects.values_list("user", flat=True)) == {l1.pk, l2.pk}  # a note is no thread


def test_r7_1_following_twice_is_one_row_and_unfollowing_ends_it(world):
    ticket = escalated(world)
    admin = world.user(Role.PARTNER_ADMIN)
    assert services.follow(acting_user=admin, ticket=ticket) is True
    assert services.follow(acting_user=admin, ticket=ticket) is True
    assert TicketFollower.objects.filter(user=admin).count() == 1
    assert services.unfollow(acting_user=admin, ticket=ticket) is False
    assert not TicketFollower.objects.filter(user=admin).exists()


def test_r1_2_the_vendor_follows_only_escalated_tickets_and_only_its_support_staff(world):
    from django.core.exceptions import PermissionDenied

    ticket = first_level(world)
    with pytest.raises(PermissionDenied):
        services.follow(acting_user=world.user(Role.L2_AGENT), ticket=ticket)
    ticket = services.escalate_to_second_level(acting_user=world.user(Role.L1_AGENT), ticket=ticket)
    for role in (Role.SALES, Role.BILLING):
        with pytest.raises(PermissionDenied):
            services.follow(acting_user=world.user(role), ticket=ticket)
    with pytest.raises(PermissionDenied):
        services.follow(acting_user=world.outsider[Role.L1_AGENT], ticket=ticket)
    assert services.follow(acting_user=world.user(Role.L3_ENGINEER), ticket=ticket)


# --- a reply to a notification lands on the ticket (R7.1) -----------------------------------------


@pytest.mark.parametrize("route", ["reply-address", "references-only"])
def test_r7_1_a_reply_to_a_notification_lands_on_the_ticket(world, mailoutbox, route):
    from email import message_from_bytes, policy

    from partnerdesk.channels.choices import InboundOutcome
    from partnerdesk.channels.inbound import receive
    from tests.channels.conftest import build_mail

    ticket = escalated(world)
    mailoutbox.clear()
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Logs?")
    deliver_due()
    (sent,) = [m for m in mailoutbox if m.to == [world.user(Role.L1_AGENT).email]]
    notice = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    # What a mail client does with "Reply": to the Reply-To, In-Reply-To the notice, References extended.
    to = str(notice["Reply-To"]) if route == "reply-address" else "support@groupios.example"
    raw = build_mail(
        sender=world.user(Role.L1_AGENT).email,
        to=to,
        subject=f"Re: {notice['Subject']}".replace(f"[#{ticket.pk}]", "") if route == "references-only" else "Re: x",
        body="Anbei die Logs.\n\n> Logs?",
        in_reply_to=str(notice["Message-ID"]),
        references=f"{notice['References']} {notice['Message-ID']}",
    )
    mail = receive(raw).mail
    assert mail.outcome == InboundOutcome.MESSAGE and mail.ticket == ticket
    assert mail.ticket_message.body == "Anbei die Logs." and mail.ticket_message.kind == MessageKind.THREAD
    assert mail.ticket_message.author == world.user(Role.L1_AGENT)


def test_r7_1_notifications_are_recognised_as_automatic_if_they_come_back(world, mailoutbox):
    """A notification bounced back to the desk's address (a loop) is an auto-reply, never a message."""
    from partnerdesk.channels.choices import InboundOutcome
    from partnerdesk.channels.inbound import receive

    ticket = escalated(world)
    mailoutbox.clear()
    services.post_message(acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Hi")
    deliver_due()
    (sent,) = [m for m in mailoutbox if m.to == [world.user(Role.L1_AGENT).email]]
    before = ticket.messages.count()
    assert receive(sent.message().as_bytes()).mail.outcome == InboundOutcome.AUTO_REPLY
    assert ticket.messages.count() == before
