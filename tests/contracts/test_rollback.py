"""A rolled-back transaction sends no contract mail (ARCHITECTURE convention 2; R2.2, R4.9)."""

from __future__ import annotations

from typing import Any

from partnerdesk.accounts.choices import Role
from partnerdesk.contracts import services as contract_services
from partnerdesk.contracts.models import ContractRequest, QuotaNotification
from tests.rollback import commit, roll_back

from .conftest import book, escalated_ticket, make_contract


def test_r2_2_individual_contract_request_rolled_back_sends_sales_no_mail(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    def request() -> Any:
        return contract_services.request_individual_contract(
            acting_user=world.user(Role.PARTNER_ADMIN), message="We need 40 hours a year."
        )

    assert roll_back(django_capture_on_commit_callbacks, request) == []
    assert mailoutbox == [] and not ContractRequest.objects.exists()
    commit(django_capture_on_commit_callbacks, request)
    assert len(mailoutbox) == 1


def test_r4_9_quota_threshold_rolled_back_sends_no_mail_and_leaves_no_notification(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = escalated_ticket(make_contract(world, "L"))  # 8 h included: 6 h 40 min cross 75 %
    agent = world.user(Role.L2_AGENT)

    assert roll_back(django_capture_on_commit_callbacks, lambda: book(agent, ticket, 400)) == []
    assert mailoutbox == [] and not QuotaNotification.objects.exists()
    commit(django_capture_on_commit_callbacks, lambda: book(agent, ticket, 400))
    assert mailoutbox and QuotaNotification.objects.filter(threshold=75).exists()
