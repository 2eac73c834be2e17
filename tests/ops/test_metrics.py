"""Issue 17 item 3 (R13.2): /metrics in Prometheus format behind PARTNERDESK_METRICS_TOKEN."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from partnerdesk.outbox.models import OutboxMessage
from tests.outbox.conftest import notice

TOKEN = "metrics-token-for-tests"


def _scrape(token: str = TOKEN) -> dict[str, list]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(response.content.decode())}


def test_r13_2_metrics_do_not_exist_without_a_token_setting():
    with override_settings(PARTNERDESK_METRICS_TOKEN=""):
        assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@override_settings(PARTNERDESK_METRICS_TOKEN=TOKEN)
def test_r13_2_metrics_refuse_a_missing_or_wrong_token():
    missing = Client().get("/metrics")
    assert missing.status_code == 401 and missing["WWW-Authenticate"].startswith("Bearer")
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403


@pytest.mark.django_db
@override_settings(PARTNERDESK_METRICS_TOKEN=TOKEN)
def test_r13_2_metrics_count_requests_per_route_and_show_the_work_waiting(django_assert_max_num_queries):
    Client().get("/healthz")
    Client().get("/healthz")
    notice(to="x@a.example")
    failed = notice(to="y@a.example")
    OutboxMessage.objects.filter(pk=failed.pk).update(state="failed")
    old = notice(to="z@a.example")
    OutboxMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    with django_assert_max_num_queries(12):  # bounded: one query per figure, whatever the data
        families = _scrape()
    requests = {
        (s.labels["method"], s.labels["route"], s.labels["status"]): s.value
        for s in families["partnerdesk_http_requests"]
        if s.name.endswith("_total")
    }
    assert requests[("GET", "healthz", "200")] >= 2
    assert "partnerdesk_http_request_duration_seconds" in families
    outbox = {s.labels["state"]: s.value for s in families["partnerdesk_outbox_messages"]}
    assert outbox == {"queued": 2, "retrying": 0, "sending": 0, "failed": 1}
    (age,) = families["partnerdesk_outbox_oldest_waiting_age_seconds"]
    assert age.value >= 600
    for name in (
        "partnerdesk_task_queue_depth",
        "partnerdesk_task_queue_oldest_age_seconds",
        "partnerdesk_webhook_failures",
        "partnerdesk_billing_run_duration_seconds",
        "partnerdesk_tickets_at_risk",
        "partnerdesk_tickets_breached",
        "partnerdesk_worker_heartbeat_age_seconds",
    ):
        assert name in families, name
    # No address of any recipient in the scrape.
    assert not any("@" in str(s.labels) for samples in families.values() for s in samples)


@pytest.mark.django_db
@override_settings(PARTNERDESK_METRICS_TOKEN=TOKEN)
def test_r13_2_tickets_at_risk_and_breached_come_from_the_vendor_queue(full_world):
    from partnerdesk.tickets.models import Ticket

    tickets = list(Ticket.objects.all()[:2])
    if len(tickets) < 2:
        pytest.skip("the full world has fewer than two tickets")
    now = timezone.now()
    Ticket.objects.filter(pk=tickets[0].pk).update(state="escalated", due_at=now - timedelta(hours=1))
    Ticket.objects.filter(pk=tickets[1].pk).update(state="third_level", due_at=now + timedelta(minutes=1))
    Ticket.objects.exclude(pk__in=[t.pk for t in tickets]).update(state="new", due_at=None)
    families = _scrape()
    assert families["partnerdesk_tickets_breached"][0].value == 1
    assert families["partnerdesk_tickets_at_risk"][0].value == 1
