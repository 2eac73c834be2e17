"""Contact with end customers (SPEC section 9): the partner's authorisations, the append-only audit log
with its hash chain, the partner's brand (white label) and the record of mail with end customers."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.validation import validate_header_text

from .choices import AppearAs, AuditAction, Channel

GENESIS_HASH = "0" * 64


class ContactAuthorization(models.Model):
    """A partner's permission for the vendor to contact an end customer (R9.2).

    For one ticket, or all tickets of the end customer (ticket empty); for chosen channels and contact
    persons; until `valid_until`; revocable at once. Rows are never deleted: a revocation is a date.
    """

    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, related_name="contact_authorizations", verbose_name=_("partner")
    )
    end_customer = models.ForeignKey(
        "accounts.EndCustomer",
        on_delete=models.PROTECT,
        related_name="contact_authorizations",
        verbose_name=_("end customer"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_authorizations",
        verbose_name=_("ticket"),
        help_text=_("Empty: all tickets of the end customer."),
    )
    channels = models.JSONField(_("channels"), default=list)
    # Persons deleted by the partner drop out of the authorisation: the gate then refuses (fail closed).
    contact_persons = models.ManyToManyField(
        "accounts.ContactPerson", related_name="contact_authorizations", verbose_name=_("contact persons")
    )
    valid_until = models.DateTimeField(_("valid until"))
    appear_as = models.CharField(_("vendor appears"), max_length=10, choices=AppearAs.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("contact authorisation")
        verbose_name_plural = _("contact authorisations")
        ordering = ["-granted_at", "-pk"]
        indexes = [models.Index(fields=["partner", "end_customer", "valid_until"], name="contact_auth_lookup")]
        constraints = [
            models.CheckConstraint(
                name="contact_auth_revocation_complete",
                condition=models.Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | models.Q(revoked_at__isnull=False, revoked_by__isnull=False),
            ),
            models.CheckConstraint(
                name="contact_auth_ends_after_grant", condition=models.Q(valid_until__gt=models.F("granted_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.end_customer_id} {','.join(self.channels)}"

    def state_at(self, at: datetime) -> str:
        """'current', 'revoked', 'expired' or 'pending' at the instant `at`."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return "revoked"
        if self.valid_until <= at:
            return "expired"
        if self.granted_at > at:
            return "pending"
        return "current"

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def state_label(self) -> str:
        labels = {"current": _("current"), "revoked": _("revoked"), "expired": _("expired"), "pending": _("pending")}
        return str(labels[self.state])

    def is_current(self, at: datetime | None = None) -> bool:
        return self.state_at(at or timezone.now()) == "current"

    def covers_ticket(self, ticket_id: int) -> bool:
        return self.ticket_id is None or self.ticket_id == ticket_id

    def channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.channels if c in Channel.values]


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete audit-log rows through the application (R9.4)."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Reads only: updates and deletes are refused, so no code path can rewrite history."""

    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("audit-log rows cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("audit-log rows cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("audit-log rows cannot be updated")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        raise AuditLogIsAppendOnly("audit-log rows are appended one by one through contact.audit")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogIsAppendOnly("audit-log rows cannot be updated")


class AuditEntry(models.Model):
    """One row of the partner's append-only audit log (R9.4).

    Rows form a hash chain per partner: `hash` is SHA-256 over the row's canonical JSON, which includes
    `prev_hash`, the hash of the partner's previous row. Changing, removing or reordering a row breaks
    the chain (`partnerdesk audit verify`). Write rows only with `contact.audit.append_entry`.
    """

    partner = models.ForeignKey("accounts.Partner", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField(_("number"))
    at = models.DateTimeField(_("when"))
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=300, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    end_customer = models.ForeignKey(
        "accounts.EndCustomer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    authorization = models.ForeignKey(
        ContactAuthorization, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    # Ids, codes and flags only: never a contact person's name, address or number.
    detail = models.JSONField(_("detail"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit-log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["partner", "seq"], name="audit_entry_seq_per_partner")]
        indexes = [models.Index(fields=["partner", "-at"], name="audit_partner_at")]

    def __str__(self) -> str:
        return f"{self.partner_id}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit-log rows cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogIsAppendOnly("audit-log rows cannot be deleted")

    def canonical(self) -> dict[str, Any]:
        """Everything the hash covers, in a form that survives the database round trip."""
        return {
            "partner": self.partner_id,
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "action": self.action,
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "ticket": self.ticket_id,
            "end_customer": self.end_customer_id,
            "authorization": self.authorization_id,
            "channel": self.channel,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditChainHead(models.Model):
    """The end of one partner's chain. Appends lock this row, so parallel appends cannot fork the chain,
    and verification compares it with the last row, so removing rows at the end is detected too."""

    partner = models.OneToOneField("accounts.Partner", on_delete=models.PROTECT, primary_key=True, related_name="+")
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.partner_id}#{self.last_seq}"


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))


class Brand(models.Model):
    """How a partner appears to its end customers (R9.6): everything they see carries only this."""

    partner = models.OneToOneField(
        "accounts.Partner", on_delete=models.PROTECT, primary_key=True, related_name="brand", verbose_name=_("partner")
    )
    # Both end up in the From header of mail in the partner's name: one line (R13.1).
    name = models.CharField(_("brand name"), max_length=200, validators=[validate_header_text])
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True, validators=[validate_header_text])
    sender_email = models.EmailField(
        _("sender address"),
        blank=True,
        help_text=_("Mail in your name comes from this address, and end customers' replies go to it."),
    )
    signature = models.TextField(_("signature"), blank=True, max_length=2000)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#0b6bcb", validators=[colour_validator]
    )
    text_colour = models.CharField(_("text colour"), max_length=7, default="#1d2733", validators=[colour_validator])
    language = models.CharField(
        _("language of end-customer mail"),
        max_length=5,
        choices=[("de", _("German")), ("en", _("English"))],
        default="de",
    )
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class EndCustomerMail(models.Model):
    """One mail between the vendor (through the gate) and an end customer, with full addresses and text.

    The partner's record, and what replies are matched against (R9.5). The vendor sees the ticket's
    message instead, whose text has the contact data masked.
    """

    class Direction(models.TextChoices):
        OUTBOUND = "out", _("to the end customer")
        INBOUND = "in", _("from the end customer")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        # Claimed by one delivery; if the process died while sending, never sent again automatically.
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        REFUSED = "refused", _("refused at sending")
        FAILED = "failed", _("not delivered")
        RECEIVED = "received", _("received")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="end_customer_mails")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    ticket_message = models.ForeignKey(
        "tickets.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="end_customer_mails"
    )
    authorization = models.ForeignKey(
        ContactAuthorization, on_delete=models.PROTECT, null=True, blank=True, related_name="mails"
    )
    contact_person = models.ForeignKey(
        "accounts.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appear_as = models.CharField(max_length=10, choices=AppearAs.choices, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, unique=True)  # the RFC 5322 header
    in_reply_to = models.CharField(max_length=300, blank=True)
    from_address = models.CharField(max_length=300)
    to_address = models.CharField(max_length=300)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("end-customer mail")
        verbose_name_plural = _("end-customer mails")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_id}"
