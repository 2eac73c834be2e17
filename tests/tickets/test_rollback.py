"""A rolled-back breach-risk notice sends no mail (ARCHITECTURE convention 2; R6.3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.models import SlaNotification, Ticket
from tests.contracts.conftest import escalated_ticket, make_contract
from tests.rollback import commit, roll_back


def test_r6_3_breach_risk_rolled_back_sends_no_mail_and_leaves_no_notice(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = escalated_ticket(make_contract(world, "L"))
    Ticket.objects.filter(pk=ticket.pk).update(due_at=timezone.now() - timedelta(minutes=1))  # overdue

    def notify() -> Any:
        return ticket_services.notify_breach_risks()

    assert roll_back(django_capture_on_commit_callbacks, notify) == []
    assert mailoutbox == [] and not SlaNotification.objects.exists()
    assert commit(django_capture_on_commit_callbacks, notify) == 1
    assert len(mailoutbox) == 1
