from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "partnerdesk.contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from datetime import timedelta

        from partnerdesk.outbox.schedule import register_job

        from .services import settle_contracts

        register_job("contracts.settle_contracts", settle_contracts, every=timedelta(hours=1))
