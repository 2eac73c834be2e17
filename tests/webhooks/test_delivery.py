"""Signed webhook deliveries through the worker, against a real HTTP receiver on loopback (R12.3)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.outbox import events
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.webhooks import services
from partnerdesk.webhooks.delivery import backoff, deliver_due
from partnerdesk.webhooks.models import Attempt, Delivery
from tests.contracts.conftest import book, escalated_ticket, make_contract

from .conftest import endpoint_for, publish, register, state_change

pytestmark = pytest.mark.django_db


def later(**delta: int):
    """A worker round at a later moment: every backoff up to then has passed."""
    return deliver_due(now=timezone.now() + timedelta(**delta))


def test_r12_3_every_delivery_carries_a_standard_webhooks_signature_the_library_verifies(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    ticket = state_change(world)
    assert receiver.received == []  # nothing leaves from the request
    report = deliver_due()
    assert len(report.delivered) == 1
    (request,) = receiver.received
    assert request.refusal == "" and request.verified is not None, request.refusal
    assert request.path == "/hooks/partnerdesk"
    assert request.headers["content-type"] == "application/json"
    assert set(request.headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert request.headers["webhook-signature"].startswith("v1,")
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.verified == {
        "type": "ticket.state_changed",
        "timestamp": request.verified["timestamp"],
        "data": {
            "ticket": ticket.pk,
            "transition": ticket.transitions.order_by("pk").last().pk,  # its entry in the ticket's history
            "from_state": "new",
            "to_state": "in_progress",
            "from_level": 1,
            "to_level": 1,
            "reason": "",
            "at": request.verified["data"]["at"],
        },
    }
    assert request.verified["timestamp"].endswith("Z")
    (attempt,) = delivery.attempt_log.all()
    assert attempt.status_code == 200 and attempt.response_excerpt == '{"ok": true}' and attempt.error == ""
    assert delivery.state == "delivered" and delivery.delivered_at is not None
    assert deliver_due().handled == 0 and len(receiver.received) == 1  # never twice


def test_r12_3_a_wrong_secret_fails_verification_so_the_check_can_fail(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    _other, other_secret = register(
        world.user(Role.PARTNER_ADMIN), receiver.url("/other"), ["contract.quota_threshold"]
    )
    receiver.secret = other_secret
    state_change(world)
    deliver_due()
    (request,) = receiver.received
    assert request.verified is None and "signature" in request.refusal.lower()


def test_r12_3_receiver_down_twice_gets_the_event_once_it_recovers_three_attempts_logged(world, receiver, api_as):
    admin = world.user(Role.PARTNER_ADMIN)
    endpoint = endpoint_for(receiver, admin)
    receiver.answers = [500, 500]
    receiver.answer_body = '{"error": "database down"}'
    state_change(world)

    first = deliver_due()
    assert first.retrying and not first.delivered
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "retrying" and delivery.next_attempt_at > timezone.now()
    assert deliver_due().handled == 0  # not due before its backoff
    second = later(minutes=5)
    assert second.retrying
    receiver.answer_body = '{"ok": true}'
    third = later(hours=1)
    assert third.delivered == [delivery.pk]

    assert len(receiver.received) == 3
    assert all(r.verified is not None for r in receiver.received), [r.refusal for r in receiver.received]
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.message_id}  # one message id
    assert len({r.body for r in receiver.received}) == 1  # the same bytes each time
    response = api_as(admin).get(f"webhooks/{endpoint.pk}/deliveries")
    assert response.status_code == 200, response.content
    (item,) = response.json()["items"]
    assert item["state"] == "delivered" and item["attempt_count"] == 3 and item["status_code"] == 200
    assert [a["status_code"] for a in item["attempts"]] == [500, 500, 200]
    assert item["attempts"][0]["response_excerpt"] == '{"error": "database down"}'
    assert item["attempts"][0]["error"] == "HTTP 500"
    assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in item["attempts"])
    assert item["webhook_id"] == delivery.message_id and item["payload"]["type"] == "ticket.state_changed"


@override_settings(PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS=3)
def test_r12_3_after_max_attempts_a_delivery_has_failed_and_is_not_tried_again(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    receiver.answers = [503] * 10
    state_change(world)
    deliver_due()
    later(hours=1)
    report = later(hours=2)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert report.failed == [delivery.pk]
    assert delivery.state == "failed" and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert later(days=30).handled == 0
    assert len(receiver.received) == 3 and delivery.attempt_log.count() == 3


def test_r12_3_backoff_doubles_and_is_capped():
    with override_settings(PARTNERDESK_WEBHOOKS_RETRY_SECONDS=60, PARTNERDESK_WEBHOOKS_MAX_BACKOFF_SECONDS=300):
        assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 300, 300]


def test_r12_3_redeliver_sends_the_same_message_again_as_a_new_attempt(world, receiver, api_as):
    admin = world.user(Role.PARTNER_ADMIN)
    endpoint = endpoint_for(receiver, admin)
    state_change(world)
    deliver_due()
    delivery = Delivery.objects.get(endpoint=endpoint)
    response = api_as(admin).post(f"webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "pending"
    assert deliver_due().delivered == [delivery.pk]
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert second.verified is not None
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.redelivery) for a in attempts] == [(1, False), (2, True)]


@override_settings(PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS=2)
def test_r12_3_redelivering_a_failed_delivery_gives_it_one_attempt_more(world, receiver):
    admin = world.user(Role.PARTNER_ADMIN)
    endpoint = endpoint_for(receiver, admin)
    receiver.answers = [500, 500, 500]
    state_change(world)
    deliver_due()
    later(hours=1)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.state == "failed"
    services.redeliver(acting_user=admin, delivery=delivery)
    assert deliver_due().failed == [delivery.pk]  # refused once more: failed again, no new retries
    services.redeliver(acting_user=admin, delivery=delivery)
    assert deliver_due().delivered == [delivery.pk]
    assert Attempt.objects.filter(delivery=delivery).count() == 4


def test_r12_3_events_of_partner_b_never_reach_partner_a(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    state_change(world, partner="b")
    publish("contract.quota_threshold", world.partner_b.pk, contract=1, term=0, threshold=75)
    assert Delivery.objects.count() == 0
    deliver_due()
    assert receiver.received == []
    state_change(world, partner="a")
    deliver_due()
    assert len(receiver.received) == 1


def test_r12_3_an_endpoint_gets_only_the_events_it_chose(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN), ["contract.quota_threshold"])
    state_change(world)
    assert not Delivery.objects.filter(endpoint=endpoint).exists()
    publish("contract.quota_threshold", world.partner_a.pk, contract=7, term=0, threshold=100)
    publish("ticket.viewed", world.partner_a.pk, ticket=1)  # not a webhook event at all
    assert list(Delivery.objects.values_list("event", flat=True)) == ["contract.quota_threshold"]


def test_r12_3_vendor_messages_and_quota_thresholds_are_delivered(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    contract = make_contract(world, "M")  # 4 hours included: 3 hours reach 75 %
    ticket = escalated_ticket(contract, world.customer_a)
    ticket_services.post_message(
        acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.THREAD, body="Please send the logs."
    )
    ticket_services.post_message(
        acting_user=world.user(Role.L2_AGENT), ticket=ticket, kind=MessageKind.VENDOR_NOTE, body="internal"
    )
    book(world.user(Role.L2_AGENT), ticket, 180)
    deliver_due()
    payloads = {r.verified["type"]: r.verified["data"] for r in receiver.received}
    assert set(payloads) == {"ticket.vendor_message", "contract.quota_threshold"}, payloads
    assert payloads["ticket.vendor_message"]["body"] == "Please send the logs."
    assert payloads["contract.quota_threshold"]["threshold"] == 75
    assert payloads["contract.quota_threshold"]["contract"] == contract.pk
    assert "internal" not in str(payloads)  # internal notes are no event


def test_r12_3_plain_http_is_refused_at_send_time_once_the_setting_is_off(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    state_change(world)
    with override_settings(PARTNERDESK_WEBHOOKS_ALLOW_PRIVATE=False):
        report = deliver_due()
    assert report.retrying and receiver.received == []
    (attempt,) = Attempt.objects.filter(delivery__endpoint=endpoint)
    assert attempt.status_code is None and attempt.error.startswith("refused") and "https://" in attempt.error


def test_r12_3_a_host_that_resolves_to_loopback_at_send_time_is_refused_dns_rebinding(world, monkeypatch):
    answers = {"address": "93.184.215.14"}  # public when the endpoint is registered

    def resolver(host, port, *args, **kwargs):
        assert host == "hooks.partner.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["address"], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    endpoint, _secret = services.register_endpoint(
        acting_user=world.user(Role.PARTNER_ADMIN),
        url="https://hooks.partner.example/in",
        events=["ticket.state_changed"],
    )
    state_change(world)
    answers["address"] = "127.0.0.1"  # the name now points inside
    assert deliver_due().retrying
    (attempt,) = Attempt.objects.filter(delivery__endpoint=endpoint)
    assert attempt.status_code is None and attempt.error.startswith("refused") and "127.0.0.1" in attempt.error


def test_r12_3_redirects_are_not_followed(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    receiver.redirect_to = receiver.url("/elsewhere")
    state_change(world)
    deliver_due()
    assert [r.path for r in receiver.received] == ["/hooks/partnerdesk"]
    (attempt,) = Attempt.objects.filter(delivery__endpoint=endpoint)
    assert attempt.status_code == 307
    assert Delivery.objects.get(endpoint=endpoint).state == "retrying"


def test_r12_3_a_receiver_that_does_not_answer_is_a_failed_attempt(world, allow_private):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        endpoint, _secret = register(world.user(Role.PARTNER_ADMIN), f"http://127.0.0.1:{listener.getsockname()[1]}/")
        state_change(world)
        with override_settings(PARTNERDESK_WEBHOOKS_TIMEOUT_SECONDS=1):
            report = deliver_due()
    finally:
        listener.close()
    assert report.retrying
    (attempt,) = Attempt.objects.filter(delivery__endpoint=endpoint)
    assert "timed out" in attempt.error.lower() and attempt.duration_ms >= 900


def test_r12_3_nobody_listening_is_retried(world, allow_private):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint, _secret = register(world.user(Role.PARTNER_ADMIN), f"http://127.0.0.1:{port}/")
    state_change(world)
    assert deliver_due().retrying
    (attempt,) = Attempt.objects.filter(delivery__endpoint=endpoint)
    assert "ConnectionRefused" in attempt.error


def test_r12_3_a_worker_that_died_mid_send_leaves_a_row_that_is_retried_after_the_timeout(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    state_change(world)
    delivery = Delivery.objects.get(endpoint=endpoint)
    # A worker claimed it (attempt 1) and died before recording anything.
    Delivery.objects.filter(pk=delivery.pk).update(state="sending", attempts=1, claimed_at=timezone.now())
    assert deliver_due().handled == 0  # still someone's
    report = later(hours=1)
    assert report.recovered == 1 and report.delivered == [delivery.pk]
    attempts = list(Attempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.number for a in attempts] == [1, 2]
    assert attempts[0].error.startswith("interrupted") and attempts[1].status_code == 200
    assert len(receiver.received) == 1


def test_r12_3_an_endpoint_deleted_while_its_delivery_is_sent_leaves_nothing_behind(world, receiver):
    admin = world.user(Role.PARTNER_ADMIN)
    endpoint = endpoint_for(receiver, admin)
    state_change(world)
    from partnerdesk.webhooks import delivery as delivery_module

    original = delivery_module.post

    def delete_then_send(*args, **kwargs):
        services.delete_endpoint(acting_user=admin, endpoint=endpoint)
        return original(*args, **kwargs)

    delivery_module.post = delete_then_send
    try:
        report = deliver_due()
    finally:
        delivery_module.post = original
    assert report.stale and Delivery.objects.count() == 0 and Attempt.objects.count() == 0


def test_r12_3_the_worker_command_delivers_webhooks(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    state_change(world)
    call_command("worker", "--once", verbosity=0)
    assert len(receiver.received) == 1 and receiver.received[0].verified is not None


def test_r12_3_finished_deliveries_are_pruned_after_the_keeping_days(world, receiver):
    endpoint = endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    state_change(world)
    state_change(world, subject="second")
    deliver_due()
    old, new = Delivery.objects.filter(endpoint=endpoint).order_by("pk")
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert services.prune_finished() > 0
    assert list(Delivery.objects.values_list("pk", flat=True)) == [new.pk]


def test_r12_3_events_of_the_vendor_alone_go_to_no_endpoint(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    with transaction.atomic():
        # An event of the vendor alone (no partner), with what a state change carries.
        ticket = escalated_ticket(make_contract(world, "L"), world.customer_a)
        data = {"ticket": ticket.pk, "from_state": "escalated", "to_state": "third_level", "reason": ""}
        events.publish("ticket.state_changed", partner_id=None, data={**data, "from_level": 2, "to_level": 3})
        assert Delivery.objects.count() == 0
    assert Delivery.objects.count() == 0
