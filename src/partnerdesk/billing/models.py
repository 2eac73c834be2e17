"""Invoicing: the vendor's and partners' billing data, billing runs, invoices and their lines.

Money is integer cents (negative on cancellation invoices), quantities are Decimals. An issued
invoice is a snapshot (ARCHITECTURE convention 17): both parties' data and every line are copied
onto it, and neither it nor its lines ever change (R10.3, GoBD): the querysets refuse update() and
delete(), the models refuse save() and delete(), and on PostgreSQL a trigger refuses raw SQL.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from partnerdesk.contracts import pricing

from .choices import DEFAULT_SERIES, InvoiceEventKind, InvoiceState, InvoiceType, LineKind, RunState


class InvoiceIsImmutable(Exception):
    """An issued invoice or one of its lines was about to be changed or deleted (R10.3)."""


class BillingSettings(models.Model):
    """The vendor's invoice data (seller of every invoice, R10.6): one row, made from the vendor on first use."""

    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    contact_name = models.CharField(_("invoice contact"), max_length=200, blank=True)
    contact_phone = models.CharField(_("invoice contact phone"), max_length=50, blank=True)
    contact_email = models.EmailField(_("invoice contact e-mail"), blank=True)
    electronic_address = models.CharField(_("electronic address"), max_length=200, blank=True)
    series = models.CharField(_("number series prefix"), max_length=10, default=DEFAULT_SERIES)

    class Meta:
        verbose_name = _("invoice settings")
        verbose_name_plural = _("invoice settings")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> BillingSettings:
        """The one row; made from the vendor's master data the first time it is asked for."""
        row = cls.objects.order_by("pk").first()
        if row is None:
            from partnerdesk.accounts.models import Vendor

            vendor = Vendor.current()
            row = cls.objects.create(
                name=vendor.legal_name or vendor.name,
                street=vendor.street,
                postal_code=vendor.postal_code,
                city=vendor.city,
                country=vendor.country,
                vat_id=vendor.vat_id,
                tax_number=vendor.tax_number,
                contact_email=vendor.sales_email,
            )
        return row


class PartnerBillingProfile(models.Model):
    """A partner's invoice data (buyer): legal name, address, VAT ID, buyer reference, invoice e-mail."""

    partner = models.OneToOneField(
        "accounts.Partner", on_delete=models.PROTECT, related_name="billing_profile", verbose_name=_("partner")
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    buyer_reference = models.CharField(_("buyer reference"), max_length=200, blank=True)
    invoice_email = models.EmailField(_("invoice e-mail"), blank=True)
    language = models.CharField(
        _("invoice language"),
        max_length=5,
        choices=[("de", _("German")), ("en", _("English"))],
        default="de",
        blank=True,
        help_text=_("The language of the partner's invoices and invoice mails."),
    )
    wants_xrechnung = models.BooleanField(
        _("XRechnung file with each invoice"),
        default=False,
        help_text=_("Attach the XRechnung XML to the invoice mail (the PDF always carries ZUGFeRD/Factur-X)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("partner billing data")
        verbose_name_plural = _("partner billing data")

    def __str__(self) -> str:
        return self.legal_name or str(self.partner_id)


class InvoiceCounter(models.Model):
    """The last number issued in a series; locked while an invoice is issued, so numbers have no gap (R10.2)."""

    series = models.CharField(_("series"), max_length=10, unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice number counter")
        verbose_name_plural = _("invoice number counters")

    def __str__(self) -> str:
        return f"{self.series}: {self.last_number}"


class BillingRun(models.Model):
    """One billing run of a period (R10.1, R10.4): queued, running, done or failed, with its progress."""

    period = models.CharField(_("period"), max_length=7)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    dry_run = models.BooleanField(_("dry run"), default=False)
    # A run for one partner (a corrected invoice after a cancellation); empty: every partner.
    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("partner")
    )
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    partners_total = models.PositiveIntegerField(_("partners"), default=0)
    partners_done = models.PositiveIntegerField(_("partners done"), default=0)
    invoices_issued = models.PositiveIntegerField(_("invoices issued"), default=0)
    # The dry run's answer: what would be issued, per partner (lines and totals).
    preview = models.JSONField(_("preview"), default=list, blank=True)
    # Partners not invoiced because their XRechnung would lack master data: who and what (R10.6).
    held_back = models.JSONField(_("held back"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period} ({self.state})"


class ImmutableQuerySet(models.QuerySet[Any]):
    """Queryset updates and deletes are refused: issued invoices and their lines never change (R10.3)."""

    def update(self, **kwargs: Any) -> int:
        raise InvoiceIsImmutable("issued invoices cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise InvoiceIsImmutable("issued invoices cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise InvoiceIsImmutable("issued invoices cannot be updated")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise InvoiceIsImmutable("issued invoices cannot be updated")


class Invoice(models.Model):
    """An issued invoice or cancellation invoice: a snapshot of seller, buyer and lines (R10.1-R10.3, R10.6)."""

    series = models.CharField(_("series"), max_length=10)
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=30, unique=True)
    type_code = models.PositiveSmallIntegerField(_("type"), choices=InvoiceType.choices, default=InvoiceType.INVOICE)
    state = models.CharField(_("state"), max_length=10, choices=InvoiceState.choices, default=InvoiceState.ISSUED)
    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("partner")
    )
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices")
    period = models.CharField(_("period"), max_length=7)
    period_start = models.DateField(_("service period start"))
    period_end = models.DateField(_("service period end"))
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    issued_at = models.DateTimeField(_("issued at"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    seller = models.JSONField(_("seller"))
    buyer = models.JSONField(_("buyer"))
    buyer_reference = models.CharField(_("buyer reference"), max_length=200, blank=True)
    payment_iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    payment_bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=300, blank=True)
    notes = models.JSONField(_("notes"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=5, default="de")
    net_cents = models.BigIntegerField(_("net total (cents)"))
    vat_cents = models.BigIntegerField(_("VAT total (cents)"))
    gross_cents = models.BigIntegerField(_("gross total (cents)"))
    # [{"category": "S", "rate": "19.00", "basis_cents": ..., "vat_cents": ...}]
    vat_breakdown = models.JSONField(_("VAT per rate"), default=list)
    preceding = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cancellations",
        verbose_name=_("preceding invoice"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="invoice_number_once_per_series"),
            # One cancellation per invoice.
            models.UniqueConstraint(
                fields=["preceding"], condition=Q(preceding__isnull=False), name="invoice_cancelled_once"
            ),
            models.CheckConstraint(
                name="invoice_gross_adds_up", condition=Q(gross_cents=models.F("net_cents") + models.F("vat_cents"))
            ),
        ]
        indexes = [models.Index(fields=["partner", "period"], name="invoice_partner_period")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("_cancelling", False):
            raise InvoiceIsImmutable("issued invoices cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise InvoiceIsImmutable("issued invoices cannot be deleted")

    @property
    def net_total(self) -> Decimal:
        return pricing.money(self.net_cents)

    @property
    def vat_total(self) -> Decimal:
        return pricing.money(self.vat_cents)

    @property
    def gross_total(self) -> Decimal:
        return pricing.money(self.gross_cents)

    @property
    def is_cancellation(self) -> bool:
        return self.preceding_id is not None


class InvoiceLine(models.Model):
    """One line of an issued invoice: text, quantity, unit price, net, VAT; what it bills (R10.1)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_code = models.CharField(_("unit"), max_length=5, default="C62")
    unit_price_cents = models.BigIntegerField(_("unit price (cents)"))
    net_cents = models.BigIntegerField(_("net (cents)"))
    vat_category = models.CharField(_("VAT category"), max_length=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    service_start = models.DateField(_("service start"))
    service_end = models.DateField(_("service end"), null=True, blank=True)
    contract = models.ForeignKey("contracts.Contract", on_delete=models.PROTECT, related_name="+", null=True)
    term = models.ForeignKey("contracts.ContractTerm", on_delete=models.PROTECT, related_name="+", null=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="+", null=True)
    time_entry_ids = models.JSONField(_("time entries"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise InvoiceIsImmutable("invoice lines cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise InvoiceIsImmutable("invoice lines cannot be deleted")

    @property
    def unit_price(self) -> Decimal:
        return pricing.money(self.unit_price_cents)

    @property
    def net(self) -> Decimal:
        return pricing.money(self.net_cents)


class BilledItem(models.Model):
    """What an invoice billed: each time entry and each term fee at most once per billing round (R10.4).

    The round is the item's ``billing_round`` when it was billed; it only rises when the invoice that
    billed it is cancelled with its work released to be billed again (R10.3), so the database
    refuses any second billing of the same work without such a cancellation in between.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="billed_items")
    time_entry = models.ForeignKey(
        "worklog.TimeEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="billed_items"
    )
    term = models.ForeignKey(
        "contracts.ContractTerm", on_delete=models.PROTECT, null=True, blank=True, related_name="billed_fees"
    )
    round = models.PositiveSmallIntegerField(_("billing round"), default=0)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("billed item")
        verbose_name_plural = _("billed items")
        constraints = [
            models.CheckConstraint(
                name="billed_item_is_entry_or_fee",
                condition=Q(time_entry__isnull=False, term__isnull=True)
                | Q(time_entry__isnull=True, term__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["time_entry", "round"],
                condition=Q(time_entry__isnull=False),
                name="entry_billed_once_per_round",
            ),
            models.UniqueConstraint(
                fields=["term", "round"], condition=Q(term__isnull=False), name="fee_billed_once_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: entry {self.time_entry_id} term {self.term_id}"


class InvoiceEvent(models.Model):
    """An invoice was issued or cancelled: who, when, in the transaction of the change (append-only)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=10, choices=InvoiceEventKind.choices)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    run = models.ForeignKey(BillingRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice events")
        ordering = ["invoice_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.kind}"


class InvoiceFile(models.Model):
    """A rendered document of an issued invoice (R10.5, R10.6): stored once, so a delivered document is the same
    forever. Rendered by the worker after the issuing commit, never in the run's transaction."""

    class Kind(models.TextChoices):
        PDF = "pdf", _("PDF (ZUGFeRD/Factur-X)")
        XRECHNUNG = "xrechnung", _("XRechnung (CII XML)")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice document")
        verbose_name_plural = _("invoice documents")
        constraints = [models.UniqueConstraint(fields=["invoice", "kind"], name="invoice_file_once")]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.kind}"

    @property
    def filename(self) -> str:
        number = self.invoice.number
        return f"{number}.pdf" if self.kind == self.Kind.PDF else f"{number}-xrechnung.xml"

    @property
    def content_type(self) -> str:
        return "application/pdf" if self.kind == self.Kind.PDF else "application/xml"
