"""Partner endpoints and their signed deliveries (R12.3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import Partner

from .choices import MAX_URL_LENGTH, RESPONSE_EXCERPT_CHARS, DeliveryState


class Endpoint(models.Model):
    """An HTTPS address of a partner's system that receives the events it chose.

    The secret signs every delivery (Standard Webhooks); it is kept to sign, and shown to the partner only
    in the answer that registers the endpoint.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(_("URL"), max_length=MAX_URL_LENGTH)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one endpoint: the signed body, sent by the worker with retries until it is delivered
    or has failed. `message_id` is the `webhook-id` header: the same on every attempt, also a redelivery,
    so the receiver can tell a repeat."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=50)
    message_id = models.CharField(_("webhook-id"), max_length=50, unique=True)
    # The exact body, so every attempt signs and sends the same bytes.
    body = models.TextField()
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The attempt after which a failure is final; None: PARTNERDESK_WEBHOOKS_MAX_ATTEMPTS. A redelivery of a
    # finished delivery allows one attempt more.
    attempt_limit = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # The partner asked to send it again: the next attempt is marked as a redelivery.
    redelivery_requested = models.BooleanField(default=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in DeliveryState]), name="webhook_delivery_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id} ({self.state})"

    @property
    def last_attempt(self) -> Attempt | None:
        """The newest attempt (from the prefetched attempts when they are there)."""
        attempts = list(self.attempt_log.all())
        return max(attempts, key=lambda a: a.number) if attempts else None


class Attempt(models.Model):
    """One try to send a delivery: what the receiver answered, how long it took, or why it did not get there."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=RESPONSE_EXCERPT_CHARS, blank=True)
    error = models.TextField(_("error"), blank=True)
    redelivery = models.BooleanField(_("redelivery"), default=False)

    class Meta:
        verbose_name = _("webhook delivery attempt")
        verbose_name_plural = _("webhook delivery attempts")
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
