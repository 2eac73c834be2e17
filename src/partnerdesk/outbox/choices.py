"""Choices of the outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    RETRYING = "retrying", _("retrying")
    FAILED = "failed", _("failed")


# What a producer's outcome callback is told (see delivery.register_outcome).
class Outcome(models.TextChoices):
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    REFUSED = "refused", _("refused")


RETRYABLE_STATES = (OutboxState.FAILED, OutboxState.RETRYING)
