from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "partnerdesk.billing"
    label = "billing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        from partnerdesk.outbox.schedule import register_job

        from .delivery import deliver_pending
        from .services import run_queued_billing_runs

        # Billing runs started from the API or a page are executed by the worker (R10.1).
        every = timedelta(seconds=settings.PARTNERDESK_WORKER_INTERVAL_SECONDS)
        register_job("billing.run_queued", run_queued_billing_runs, every=every)
        # Issued invoices get their documents and their mail after the issuing commit (R10.5, R10.6).
        register_job("billing.deliver_documents", deliver_pending, every=every)
