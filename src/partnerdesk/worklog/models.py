"""Time entries (work of vendor staff on escalated tickets) and their history.

Work is integer minutes, billing integer units, money integer cents (ARCHITECTURE convention 5).
The table of ``TimeEntry`` is the one it had in the contracts app (moved without moving data).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partnerdesk.contracts import pricing
from partnerdesk.contracts.choices import Currency

from .choices import MAX_ENTRY_MINUTES, Activity, TimeEntryEventKind


class TimeEntry(models.Model):
    """Work of vendor staff on an escalated ticket (R4.1), split and priced once at booking (R4.3).

    The split (included/extra/charged units), the price lines and the amount are stored, so an entry
    booked later never re-prices this one. Once invoiced it is frozen (R4.7).
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="time_entries")
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="time_entries")
    term = models.ForeignKey("contracts.ContractTerm", on_delete=models.PROTECT, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries", verbose_name=_("by")
    )
    started_at = models.DateTimeField(_("start"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    activity = models.CharField(_("activity"), max_length=30, choices=Activity.choices)
    text = models.TextField(_("text"), blank=True)
    billable = models.BooleanField(_("billable"), default=True)
    units = models.PositiveIntegerField(_("units"))
    included_units = models.PositiveIntegerField(_("included units"), default=0)
    extra_units = models.PositiveIntegerField(_("extra units"), default=0)
    charged_units = models.PositiveIntegerField(_("charged units"), default=0)
    amount_cents = models.PositiveBigIntegerField(_("amount (cents)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.EUR)
    # [{"quantity": 4, "unit_price_cents": 3725}, ...]: the invoice lines of this entry's charge.
    charge_lines = models.JSONField(_("charge lines"), default=list, blank=True)
    booked_at = models.DateTimeField(_("booked"), auto_now_add=True)
    invoiced_at = models.DateTimeField(_("invoiced"), null=True, blank=True)
    # How often the invoice of this entry was cancelled with the entry released to be billed again (R10.3).
    billing_round = models.PositiveSmallIntegerField(_("billing round"), default=0)
    # A correcting entry names the invoiced entry it corrects (R4.7); it is billed by the next run.
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )

    class Meta:
        db_table = "contracts_timeentry"
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["started_at", "pk"]
        indexes = [
            models.Index(fields=["ticket", "contract"], name="entry_ticket_contract"),
            models.Index(fields=["term", "billable"], name="entry_term_billable"),
        ]
        constraints = [
            models.CheckConstraint(
                name="entry_minutes_1_to_1440", condition=Q(minutes__gte=1, minutes__lte=MAX_ENTRY_MINUTES)
            ),
            models.CheckConstraint(name="entry_units_positive", condition=Q(units__gte=1)),
            models.CheckConstraint(
                name="entry_split_adds_up",
                condition=Q(billable=True, units=F("included_units") + F("extra_units"))
                | Q(billable=False, included_units=0, extra_units=0, charged_units=0, amount_cents=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.minutes} min #{self.ticket_id}"

    @property
    def amount(self) -> Decimal:
        return pricing.money(self.amount_cents)

    @property
    def is_invoiced(self) -> bool:
        return self.invoiced_at is not None

    def lines(self) -> list[pricing.ChargeLine]:
        return [pricing.ChargeLine(int(line["quantity"]), int(line["unit_price_cents"])) for line in self.charge_lines]

    def snapshot(self) -> dict[str, object]:
        """What the entry says now, as stored on its history rows."""
        return {
            "started_at": self.started_at.isoformat(),
            "minutes": self.minutes,
            "activity": self.activity,
            "text": self.text,
            "billable": self.billable,
            "contract_id": self.contract_id,
            "term_id": self.term_id,
            "units": self.units,
            "included_units": self.included_units,
            "extra_units": self.extra_units,
            "charged_units": self.charged_units,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
        }


class TimeEntryEvent(models.Model):
    """A booking, correction, deletion or billable flip: who, when, the entry before and after.

    Written in the transaction of the change; it outlives a deleted entry (``entry_number`` is a
    plain number, not a foreign key), so every unit that ever moved on a ledger has its trace.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="time_entry_events")
    entry_number = models.PositiveBigIntegerField(_("time entry"), db_index=True)
    kind = models.CharField(_("event"), max_length=20, choices=TimeEntryEventKind.choices)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("time entry event")
        verbose_name_plural = _("time entry events")
        ordering = ["ticket_id", "at", "pk"]
        indexes = [models.Index(fields=["ticket", "at"], name="entry_event_ticket_at")]
        constraints = [
            models.CheckConstraint(
                name="entry_event_kind_valid", condition=Q(kind__in=[c.value for c in TimeEntryEventKind])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} #{self.entry_number}"
