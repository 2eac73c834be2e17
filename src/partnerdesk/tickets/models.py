"""The core of a ticket: whose it is, what it is about, its level, and the contract its time is charged to.

Capture, escalation, messages and service-level clocks extend this model (tickets issue); the
contracts app only needs the core, because time entries belong to a ticket (S prices per ticket).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Category, DefectStatus, Level, ManualLinkKind, MessageKind, TicketState


class Ticket(models.Model):
    """A support case of one partner for one of its end customers."""

    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("partner")
    )
    end_customer = models.ForeignKey(
        "accounts.EndCustomer", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("end customer")
    )
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True, default="")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.FIRST)
    state = models.CharField(_("state"), max_length=30, choices=TicketState.choices, default=TicketState.NEW)
    # Set at escalation (R3.3): exactly one active contract covering the end customer.
    charged_contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("charged contract"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    # Service-level clocks (R6.3), in real instants computed with the support calendar.
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    clock_paused_at = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    # The earliest running due time (first response until answered, then resolution): queue order.
    due_at = models.DateTimeField(_("due"), null=True, blank=True)

    # Complete capture before escalation (R5.2); which fields are required is a setting.
    product = models.CharField(_("product"), max_length=100, blank=True)
    product_version = models.CharField(_("product version"), max_length=50, blank=True)
    environment = models.TextField(_("environment"), blank=True)
    description = models.TextField(_("description"), blank=True)
    steps_to_reproduce = models.TextField(_("steps to reproduce"), blank=True)
    expected_behaviour = models.TextField(_("expected behaviour"), blank=True)
    actual_behaviour = models.TextField(_("actual behaviour"), blank=True)
    error_messages = models.TextField(_("error messages or logs"), blank=True)
    business_impact = models.TextField(_("business impact"), blank=True)
    tried_by_first_level = models.TextField(_("what first level already tried"), blank=True)
    # Resolved at first level with the manual's help, naming the sections (R8.3; links of kind "solved").
    solved_with_manual = models.BooleanField(_("solved with the manual"), default=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["partner", "level"], name="ticket_partner_level"),
            # The partner's list (newest first) and the vendor's queue (by due time): see bench/.
            models.Index(fields=["partner", "-created_at", "-id"], name="ticket_partner_created"),
            # State before due time: a partner's escalated tickets by due time come straight from the index;
            # without the state, PostgreSQL ANDs the vendor queue's 250,000 entries into partner lists.
            models.Index(fields=["partner", "state", "due_at", "id"], name="ticket_partner_state_due"),
            # The vendor's lists and overview figures by state across partners (waiting for the partner:
            # 2 % of the tickets, newest first), read to a bound instead of scanning the table.
            models.Index(fields=["state", "-created_at", "-id"], name="ticket_state_created"),
            models.Index(
                fields=["due_at", "id"],
                name="ticket_vendor_queue",
                condition=models.Q(state__in=["escalated", "third_level"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(name="ticket_level_1_to_3", condition=models.Q(level__gte=1, level__lte=3)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_escalated(self) -> bool:
        return self.level >= Level.SECOND


class TicketTransition(models.Model):
    """Every change of state or level: who, when, from, to and why (R5.8). Written with the change."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_state = models.CharField(max_length=30, choices=TicketState.choices, blank=True)
    to_state = models.CharField(max_length=30, choices=TicketState.choices)
    from_level = models.PositiveSmallIntegerField(choices=Level.choices)
    to_level = models.PositiveSmallIntegerField(choices=Level.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("ticket transition")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_state} -> {self.to_state}"

    @property
    def reason_label(self) -> str:
        """The reason in the reader's language (a code written before its label existed stays as it is)."""
        from .choices import TRANSITION_REASONS

        return str(TRANSITION_REASONS.get(self.reason, self.reason))


class Message(models.Model):
    """A message on a ticket. Which side sees it depends on its kind and, for the partner's
    first-level correspondence, on what the partner shared at escalation (R5.5, R5.9)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    shared_with_vendor = models.BooleanField(_("shared with the vendor"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.ticket.partner_id}/{instance.ticket_id}/{filename}"


class Attachment(models.Model):
    """A file on a ticket, kept through Django's storage; served only to those who may see it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    shared_with_vendor = models.BooleanField(_("shared with the vendor"), default=False)
    # The file was removed by the retention job (PARTNERDESK_RETENTION_ATTACHMENT_DAYS); the row stays as history.
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.filename


class ProductDefect(models.Model):
    """A defect in the vendor's product that tickets are linked to (R5.10)."""

    key = models.CharField(_("defect id"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=DefectStatus.choices, default=DefectStatus.OPEN)
    fixed_in_version = models.CharField(_("fixed in version"), max_length=50, blank=True)
    tickets = models.ManyToManyField(Ticket, related_name="defects", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("product defect")
        verbose_name_plural = _("product defects")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class SlaNotification(models.Model):
    """A breach-risk notice for one ticket and clock, sent once (R6.3)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_notifications")
    clock = models.CharField(max_length=20)  # "first_response" or "resolution"
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "clock", "due_at"], name="sla_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.clock} {self.due_at}"


class TicketFollower(models.Model):
    """A user who follows a ticket and is told of the other side's messages and moves by mail (R7.1).

    Partner users follow their own partner's tickets; vendor staff follow escalated ones. The ticket's
    creator and everyone who writes in the partner-vendor thread follow it automatically.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tickets")
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket follower")
        verbose_name_plural = _("ticket followers")
        ordering = ["ticket_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="ticket_follower_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.user_id}"


class TicketManualSection(models.Model):
    """A manual section L1 consulted while capturing (R8.2), or one that solved the ticket (R8.3)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="manual_links")
    section = models.ForeignKey(
        "manual.Section", on_delete=models.PROTECT, related_name="ticket_links", verbose_name=_("manual section")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ManualLinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("manual section of a ticket")
        verbose_name_plural = _("manual sections of tickets")
        ordering = ["ticket_id", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "section", "kind"], name="ticket_manual_section_once"),
        ]
        indexes = [models.Index(fields=["section", "kind"], name="ticket_manual_section_kind")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.section_id}"
