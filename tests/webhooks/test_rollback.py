"""A rolled-back change delivers nothing (R12.3; ARCHITECTURE 2 and 19): the deliveries are rows of the change."""

from __future__ import annotations

import pytest
from django.db import transaction

from partnerdesk.accounts.choices import Role
from partnerdesk.webhooks.delivery import deliver_due
from partnerdesk.webhooks.models import Delivery
from tests.contracts.conftest import book, escalated_ticket, make_contract

from .conftest import endpoint_for, state_change

pytestmark = pytest.mark.django_db


class Abort(Exception):
    pass


def test_r12_3_ticket_change_committed_is_delivered(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    with transaction.atomic():
        state_change(world)
    assert Delivery.objects.count() == 1
    deliver_due()
    assert len(receiver.received) == 1


def test_r12_3_ticket_change_rolled_back_leaves_no_delivery_and_sends_nothing(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN))
    with pytest.raises(Abort), transaction.atomic():
        state_change(world)
        assert Delivery.objects.count() == 1  # written inside the change
        raise Abort
    assert Delivery.objects.count() == 0
    assert deliver_due().handled == 0 and receiver.received == []


def test_r12_3_booking_rolled_back_sends_no_quota_threshold(world, receiver):
    endpoint_for(receiver, world.user(Role.PARTNER_ADMIN), ["contract.quota_threshold"])
    contract = make_contract(world, "M")
    ticket = escalated_ticket(contract, world.customer_a)
    with pytest.raises(Abort), transaction.atomic():
        book(world.user(Role.L2_AGENT), ticket, 240)
        assert Delivery.objects.count() == 2  # 75 % and 100 %
        raise Abort
    assert Delivery.objects.count() == 0
    book(world.user(Role.L2_AGENT), ticket, 240)
    assert Delivery.objects.count() == 2
