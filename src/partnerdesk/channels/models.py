"""Inbound mail: every mail received, once per Message-ID, with its original and what became of it (R7.1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import InboundOutcome, InboundSource, QuarantineReason


class InboundMail(models.Model):
    """One received mail. The original bytes are kept (viewable by whoever may see the ticket's message);
    the ticket gets only its new text. Quarantined mail waits in the vendor's inbox (no partner) or in a
    partner's inbox until someone accepts or discards it: nothing is dropped silently."""

    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    from_address = models.CharField(_("sender"), max_length=320, blank=True)
    to = models.JSONField(_("to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    in_reply_to = models.TextField(blank=True)
    references = models.TextField(blank=True)
    text = models.TextField(_("text"), blank=True)
    new_text = models.TextField(_("new text"), blank=True)
    html = models.TextField(_("HTML (sanitised)"), blank=True)
    raw = models.BinaryField(_("original"))
    size = models.PositiveIntegerField(_("size"), default=0)
    attachment_names = models.JSONField(default=list, blank=True)
    # Attachments that failed the upload checks: [{"filename", "reason"}]; they stay in the original.
    attachment_problems = models.JSONField(default=list, blank=True)

    outcome = models.CharField(_("outcome"), max_length=20, choices=InboundOutcome.choices)
    reason = models.CharField(_("reason"), max_length=30, choices=QuarantineReason.choices, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    # Whose inbox holds it when quarantined (None: the vendor's), and whose mail it is otherwise.
    partner = models.ForeignKey(
        "accounts.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_mails"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_mails"
    )
    ticket_message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_mails"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mails")
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["outcome", "partner", "-received_at"], name="inbound_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.outcome})"

    @property
    def is_quarantined(self) -> bool:
        return self.outcome == InboundOutcome.QUARANTINED
