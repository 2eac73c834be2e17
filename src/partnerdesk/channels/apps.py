from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "partnerdesk.channels"
    label = "channels"
    verbose_name = _("Mail in and out")

    def ready(self) -> None:
        from . import notifications

        notifications.register()
