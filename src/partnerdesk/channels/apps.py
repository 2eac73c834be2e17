from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "partnerdesk.channels"
    label = "channels"
    verbose_name = _("Mail in and out")

    def ready(self) -> None:
        from datetime import timedelta

        from django.conf import settings

        from partnerdesk.outbox import schedule

        from . import imap, notifications

        notifications.register()  # subscribers of the domain events (outbox.events)
        if imap.configured():
            every = timedelta(seconds=settings.PARTNERDESK_IMAP_FETCH_SECONDS)
            schedule.register_job("channels.mail_fetch", imap.fetch_job, every=every)
