"""The outbox: one row per outbound mail, written in the transaction of the change that causes it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import OutboxState


class OutboxMessage(models.Model):
    """A mail waiting for, or done with, delivery by the worker (ARCHITECTURE convention 19).

    Everything needed to build the mail again is stored here, so the worker needs no producer's code to
    send it; the Message-ID is fixed when the row is written, so a mail sent twice after a crash can be
    recognised as one by the receiver.
    """

    kind = models.CharField(_("kind"), max_length=50)
    from_email = models.CharField(_("from"), max_length=998)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    bcc = models.JSONField(_("bcc"), default=list, blank=True)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    # Attached and inline parts: [{"content_type", "content" (base64), "filename", "content_id"}].
    attachments = models.JSONField(default=list, blank=True)
    mixed_subtype = models.CharField(max_length=20, default="mixed")
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=OutboxState.choices, default=OutboxState.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # What produced it, e.g. "contact.EndCustomerMail:42", so the producer can learn the outcome.
    reference = models.CharField(_("reference"), max_length=200, blank=True, db_index=True)
    # Mail that carries end-customer contact data (R9.1): the outbox page shows only its state, never
    # its recipients, subject, text or the server's words about them.
    confidential = models.BooleanField(default=False)
    # The request that caused it (X-Request-ID), so the worker's log lines about it carry the same id.
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["-created_at", "-id"], name="outbox_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in OutboxState]), name="outbox_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} ({self.state})"

    @property
    def error_summary(self) -> str:
        """What a confidential row's last error may show: the kind of error, not the server's text."""
        return self.last_error.partition(":")[0] if self.confidential else self.last_error

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


class DeferredEvent(models.Model):
    """A published event that deferred subscribers (notifications) still have to hear (outbox.events).

    Written in the transaction of the change, so it exists exactly when the change does; the worker hands it
    to the subscribers and deletes it in one transaction, so each is heard once.
    """

    name = models.CharField(max_length=100)
    partner_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)
    at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["next_attempt_at", "id"], name="deferred_event_due")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class WorkerHeartbeat(models.Model):
    """One row per running `partnerdesk worker`, stamped each round; /readyz wants a fresh one."""

    name = models.CharField(max_length=200, unique=True)  # host:pid
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    rounds = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
