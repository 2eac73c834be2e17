from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "partnerdesk.api"
    verbose_name = _("API")

    def ready(self) -> None:
        from partnerdesk.outbox.schedule import register_job

        from .idempotency import prune_expired

        # Stored Idempotency-Key responses older than PARTNERDESK_IDEMPOTENCY_TTL_HOURS are deleted by the worker.
        register_job("api.prune_idempotency_keys", prune_expired, every=timedelta(hours=6))
