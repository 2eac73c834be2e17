from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "partnerdesk.outbox"
    verbose_name = _("Outbox")

    def ready(self) -> None:
        from datetime import timedelta

        from . import schedule, services

        schedule.register_job("outbox.prune_sent", services.prune_sent, every=timedelta(hours=6))
