from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "partnerdesk.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import db_loaders, signals  # noqa: F401

        db_loaders.connect()
