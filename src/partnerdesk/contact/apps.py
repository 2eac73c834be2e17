from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "partnerdesk.contact"
    verbose_name = _("End-customer contact")

    def ready(self) -> None:
        from .outbound import register_with_outbox

        register_with_outbox()
