"""Choices and constants of invoicing."""

from __future__ import annotations

from typing import Final

from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import Role

INVOICE = 380
CORRECTED_INVOICE = 384
CREDIT_NOTE = 381


class InvoiceType(models.IntegerChoices):
    INVOICE = 380, _("Invoice")
    CORRECTED = 384, _("Cancellation invoice")
    CREDIT_NOTE = 381, _("Credit note")


class InvoiceState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class RunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class InvoiceEventKind(models.TextChoices):
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class LineKind(models.TextChoices):
    FEE = "fee", _("Contract fee")
    INCLUDED = "included", _("Included time")
    EXTRA = "extra", _("Support time")


BILLING_ROLES: Final = frozenset({Role.VENDOR_ADMIN, Role.BILLING})
DEFAULT_SERIES: Final = "RE"
