from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "partnerdesk.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        from partnerdesk.outbox import events, schedule

        from . import delivery, services
        from .choices import WebhookEvent

        # Deliveries are written in the transaction of the change that causes them (ARCHITECTURE 19).
        events.subscribe(services.enqueue_deliveries, names=WebhookEvent.values)
        schedule.register_job(
            "webhooks.deliver",
            delivery.deliver_backlog,
            every=timedelta(seconds=settings.PARTNERDESK_WORKER_INTERVAL_SECONDS),
        )
        schedule.register_job("webhooks.prune_finished", services.prune_finished, every=timedelta(hours=6))
