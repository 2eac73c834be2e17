"""Prometheus metrics (issue 17 item 3), with prometheus-client.

Per-process counters (requests and latencies per route) live in the client's registry; in gunicorn with
several processes `partnerdesk serve` sets PROMETHEUS_MULTIPROC_DIR so that a scrape sums them all. The
state of the work (queues, outbox, webhooks, billing runs, tickets at risk) is read from the database at
scrape time, each figure by one bounded query along an index.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

REQUESTS = Counter(
    "partnerdesk_http_requests",
    "HTTP requests answered, per route (URL pattern) and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "partnerdesk_http_request_duration_seconds",
    "Time to answer an HTTP request, per route",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _age(oldest: object) -> float:
    return max(0.0, (timezone.now() - oldest).total_seconds()) if oldest is not None else 0.0  # type: ignore[operator]


class WorkCollector(Collector):
    """Queue and backlog figures, read when scraped."""

    def collect(self) -> Iterator[Metric]:
        from django_tasks_db.models import DBTaskResult

        from partnerdesk.billing.models import BillingRun
        from partnerdesk.outbox.models import OutboxMessage, WorkerHeartbeat
        from partnerdesk.tickets.choices import TicketState
        from partnerdesk.tickets.clocks import vendor_calendar
        from partnerdesk.tickets.models import Ticket
        from partnerdesk.webhooks.models import Delivery

        now = timezone.now()
        tasks = DBTaskResult.objects.filter(status="READY").aggregate(n=Count("pk"), oldest=Min("enqueued_at"))
        yield GaugeMetricFamily("partnerdesk_task_queue_depth", "Background tasks waiting to run", value=tasks["n"])
        yield GaugeMetricFamily(
            "partnerdesk_task_queue_oldest_age_seconds", "Age of the oldest waiting task", value=_age(tasks["oldest"])
        )

        outbox = GaugeMetricFamily("partnerdesk_outbox_messages", "Outbox messages per state", labels=["state"])
        counts = dict(
            OutboxMessage.objects.exclude(state="sent").values_list("state").annotate(n=Count("pk")).order_by()
        )
        for state in ("queued", "retrying", "sending", "failed"):
            outbox.add_metric([state], counts.get(state, 0))
        yield outbox
        oldest = OutboxMessage.objects.filter(state="queued").aggregate(oldest=Min("created_at"))["oldest"]
        yield GaugeMetricFamily(
            "partnerdesk_outbox_oldest_waiting_age_seconds", "Age of the oldest queued message", value=_age(oldest)
        )

        webhooks = GaugeMetricFamily("partnerdesk_webhook_deliveries", "Webhook deliveries per state", labels=["state"])
        wcounts = dict(
            Delivery.objects.exclude(state="delivered").values_list("state").annotate(n=Count("pk")).order_by()
        )
        for state, n in sorted(wcounts.items()):
            webhooks.add_metric([state], n)
        yield webhooks
        yield GaugeMetricFamily(
            "partnerdesk_webhook_failures",
            "Webhook deliveries that failed for good (kept until pruned)",
            value=wcounts.get("failed", 0),
        )

        runs = GaugeMetricFamily(
            "partnerdesk_billing_run_duration_seconds",
            "Duration of the most recent finished billing runs (run id label)",
            labels=["run", "state"],
        )
        for run in BillingRun.objects.filter(finished_at__isnull=False, started_at__isnull=False).order_by(
            "-finished_at"
        )[:10]:
            runs.add_metric([str(run.pk), run.state], (run.finished_at - run.started_at).total_seconds())
        yield runs

        queue = Ticket.objects.filter(state__in=[TicketState.ESCALATED, TicketState.THIRD_LEVEL], due_at__isnull=False)
        from django.conf import settings

        horizon = vendor_calendar().add(now, timedelta(minutes=settings.SLA_BREACH_WARNING_MINUTES))
        figures = queue.aggregate(
            breached=Count("pk", filter=Q(due_at__lte=now)),
            at_risk=Count("pk", filter=Q(due_at__gt=now, due_at__lte=horizon)),
        )
        yield GaugeMetricFamily(
            "partnerdesk_tickets_breached",
            "Escalated tickets past their service-level due time",
            value=figures["breached"],
        )
        yield GaugeMetricFamily(
            "partnerdesk_tickets_at_risk",
            "Escalated tickets within the warning time of their due time",
            value=figures["at_risk"],
        )
        beat = WorkerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]
        yield GaugeMetricFamily(
            "partnerdesk_worker_heartbeat_age_seconds", "Seconds since a worker last finished a round", value=_age(beat)
        )


def exposition() -> bytes:
    """The text exposition: this process's (or all processes') counters, then the database's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        counters = generate_latest(registry)
    else:
        counters = generate_latest(REGISTRY)
    work = CollectorRegistry()
    work.register(WorkCollector())
    return counters + generate_latest(work)
