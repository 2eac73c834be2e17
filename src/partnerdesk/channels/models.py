"""Inbound mail (R7.1); callbacks, web meetings and remote sessions: an agent's appointments (R7.2-R7.4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    BUSY_STATES,
    AppointmentChangeKind,
    AppointmentKind,
    AppointmentState,
    CallOutcome,
    InboundOutcome,
    InboundSource,
    QuarantineReason,
    RemoteTool,
)


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
    # The original was removed by the retention job (PARTNERDESK_RETENTION_MAIL_ORIGINAL_DAYS); the text stays.
    original_removed_at = models.DateTimeField(null=True, blank=True)
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


class Appointment(models.Model):
    """A callback, web meeting or remote maintenance session on an escalated ticket: the time of one agent.

    While scheduled or held it holds ``[starts_at, ends_at)`` of its agent; two such rows of one agent never
    overlap (checked under the agent's lock, ``locks.lock_agent``; on PostgreSQL also an exclusion constraint,
    migration 0003). What was held (``held_from``-``held_until``) becomes a time entry through the worklog.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(_("kind"), max_length=20, choices=AppointmentKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=AppointmentState.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("agent"),
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    # Callback: the number to call (the partner's own); a call to an end customer names the contact person.
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_person = models.ForeignKey(
        "accounts.ContactPerson",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact person"),
    )
    wished_from = models.DateTimeField(_("wished from"), null=True, blank=True)
    wished_until = models.DateTimeField(_("wished until"), null=True, blank=True)
    # Web meeting: the join link and the invitation's identity (RFC 5545 UID, SEQUENCE).
    join_url = models.CharField(_("join link"), max_length=500, blank=True)
    uid = models.CharField(_("invitation UID"), max_length=200, blank=True)
    sequence = models.PositiveIntegerField(_("invitation sequence"), default=0)
    # Remote session: the tool and its session id.
    tool = models.CharField(_("tool"), max_length=20, choices=RemoteTool.choices, blank=True)
    session_id = models.CharField(_("session id"), max_length=100, blank=True)
    # Remote session on a partner's own system: the partner user who consented (an end customer's: contact_person).
    consenting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consented by"),
    )
    # What was held.
    held_from = models.DateTimeField(_("held from"), null=True, blank=True)
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    time_entry = models.OneToOneField(
        "worklog.TimeEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
        verbose_name=_("time entry"),
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["agent", "starts_at"], name="appointment_agent_start"),
            models.Index(fields=["ticket", "kind"], name="appointment_ticket_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                name="appointment_kind_valid", condition=Q(kind__in=[c.value for c in AppointmentKind])
            ),
            models.CheckConstraint(
                name="appointment_state_valid", condition=Q(state__in=[c.value for c in AppointmentState])
            ),
            models.CheckConstraint(
                name="appointment_busy_has_agent_and_time",
                condition=~Q(state__in=list(BUSY_STATES))
                | Q(agent__isnull=False, starts_at__isnull=False, ends_at__gt=F("starts_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def minutes(self) -> int:
        if self.starts_at is None or self.ends_at is None:
            return 0
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_open(self) -> bool:
        return self.state in (AppointmentState.REQUESTED, AppointmentState.SCHEDULED)


class MeetingParticipant(models.Model):
    """Who is invited to a web meeting: a partner user, a vendor user, or an end customer's contact person
    (the latter only under an authorisation with channel "web meeting", R9.3)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_person = models.ForeignKey(
        "accounts.ContactPerson", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("meeting participant")
        verbose_name_plural = _("meeting participants")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="participant_user_or_person",
                condition=Q(user__isnull=False, contact_person__isnull=True)
                | Q(user__isnull=True, contact_person__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"participant of #{self.appointment_id}"


class AppointmentChange(models.Model):
    """Every change of an appointment, with who and when, written in the change's transaction."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=20, choices=AppointmentChangeKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("appointment change")
        verbose_name_plural = _("appointment changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.appointment_id}"
