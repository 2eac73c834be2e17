from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "partnerdesk.contact"
    verbose_name = _("End-customer contact")
