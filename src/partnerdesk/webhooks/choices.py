"""Choices and limits of the webhooks (R12.3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.outbox import events


class WebhookEvent(models.TextChoices):
    """The events a partner's endpoint can subscribe to: the public ones of `outbox.events`."""

    TICKET_STATE_CHANGED = events.TICKET_STATE_CHANGED, _("A ticket's state changed")
    TICKET_VENDOR_MESSAGE = events.TICKET_VENDOR_MESSAGE, _("The vendor wrote on a ticket")
    CONTRACT_QUOTA_THRESHOLD = events.CONTRACT_QUOTA_THRESHOLD, _("A contract's included time reached a threshold")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    RETRYING = "retrying", _("retrying")
    FAILED = "failed", _("failed")


FINISHED_STATES = (DeliveryState.DELIVERED, DeliveryState.FAILED)

# Standard Webhooks: secrets are `whsec_` + base64 of random bytes; ids name the message, not the attempt.
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
MESSAGE_ID_PREFIX = "msg_"
MAX_URL_LENGTH = 2000
# What an attempt keeps of the receiver's answer.
RESPONSE_EXCERPT_CHARS = 1000
RESPONSE_READ_BYTES = 4 * RESPONSE_EXCERPT_CHARS
ERROR_CHARS = 1000
