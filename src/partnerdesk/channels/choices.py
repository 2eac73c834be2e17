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


class AppointmentKind(models.TextChoices):
    """The channels of second-level support that take an agent's time (R7.2-R7.4)."""

    CALLBACK = "callback", _("Callback")
    WEB_MEETING = "web_meeting", _("Web meeting")
    REMOTE_SESSION = "remote_session", _("Remote maintenance session")


class AppointmentState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    SCHEDULED = "scheduled", _("scheduled")
    HELD = "held", _("held and logged")
    CANCELLED = "cancelled", _("cancelled")


# The states in which an appointment holds its agent's time (no double booking, R6.4).
BUSY_STATES = (AppointmentState.SCHEDULED, AppointmentState.HELD)


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("reached, call held")
    NOT_REACHED = "not_reached", _("not reached")
    FOLLOW_UP = "follow_up", _("held, follow-up needed")


class AppointmentChangeKind(models.TextChoices):
    REQUESTED = "requested", _("requested")
    SCHEDULED = "scheduled", _("scheduled")
    RESCHEDULED = "rescheduled", _("rescheduled")
    CANCELLED = "cancelled", _("cancelled")
    LOGGED = "logged", _("logged")


class RemoteTool(models.TextChoices):
    TEAMVIEWER = "teamviewer", "TeamViewer"
    ANYDESK = "anydesk", "AnyDesk"
    RUSTDESK = "rustdesk", "RustDesk"
    SSH = "ssh", "SSH"
    OTHER = "other", _("other")


# Who schedules, holds and logs appointments (the roles that book time, worklog.choices).
MAX_APPOINTMENT_MINUTES = 8 * 60
MAX_TOPIC = 300
MAX_NOTES = 4000
MAX_JOIN_URL = 500
MAX_PARTICIPANTS = 20
