"""Constants and choices of time entries."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import Role


class Activity(models.TextChoices):
    """R4.1."""

    EMAIL = "email", _("E-mail")
    CALLBACK = "callback", _("Callback")
    WEB_MEETING = "web_meeting", _("Web meeting")
    REMOTE_MAINTENANCE = "remote_maintenance", _("Remote maintenance")
    ANALYSIS = "analysis", _("Analysis")


class TimeEntryEventKind(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CORRECTED = "corrected", _("Corrected")
    DELETED = "deleted", _("Deleted")
    BILLABLE = "billable", _("Marked billable")
    NOT_BILLABLE = "not_billable", _("Marked not billable")


# One entry is work of one person in one go; more than a day is a typing error, not work.
MAX_ENTRY_MINUTES = 24 * 60
MAX_ENTRY_TEXT = 4000
# Clocks differ a little between client and server; work that starts later than this is refused.
START_CLOCK_TOLERANCE = timedelta(minutes=5)
# Work older than this is a typing error.
MAX_START_YEARS_BACK = 10

TIME_BOOKING_ROLES = (Role.VENDOR_ADMIN, Role.L2_AGENT, Role.L3_ENGINEER)
BILLABILITY_ROLES = (Role.VENDOR_ADMIN, Role.L2_AGENT, Role.L3_ENGINEER, Role.BILLING)
