"""Choices of inbound mail."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundOutcome(models.TextChoices):
    MESSAGE = "message", _("added to a ticket")
    NEW_TICKET = "new_ticket", _("opened a ticket")
    END_CUSTOMER = "end_customer", _("end customer's reply")
    QUARANTINED = "quarantined", _("waiting in the inbox")
    ACCEPTED = "accepted", _("accepted from the inbox")
    DISCARDED = "discarded", _("discarded")
    AUTO_REPLY = "auto_reply", _("automatic reply, ignored")
    BOUNCE = "bounce", _("delivery report")


class QuarantineReason(models.TextChoices):
    UNKNOWN_SENDER = "unknown_sender", _("The sender is not known.")
    NOT_ON_TICKET = "not_on_ticket", _("The sender may not write on this ticket.")
    END_CUSTOMER_UNKNOWN = "end_customer_unknown", _("It does not say for which end customer.")
    NO_TICKET = "no_ticket", _("It matches no ticket.")
    REFUSED = "refused", _("The ticket did not accept it.")


class InboundSource(models.TextChoices):
    IMAP = "imap", _("IMAP mailbox")
    PIPE = "pipe", _("handed over by the mail server")
