from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "partnerdesk.tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from datetime import timedelta

        from partnerdesk.outbox.schedule import register_job

        from .services import notify_breach_risks

        register_job("tickets.notify_breach_risks", notify_breach_risks, every=timedelta(minutes=5))
