from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "partnerdesk.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from datetime import timedelta

        from partnerdesk.outbox.schedule import register_job

        from .retention import run_retention

        register_job("ops.retention", run_retention, every=timedelta(hours=6))
