"""Notification mail: who is told what, in the recipient's language, as outbox rows (R4.9, R6.3, R7.1, R9.6).

The subscribers below receive the domain events (`outbox.events`) inside the transaction of the change and
write one outbox row per recipient there, so a rolled-back change mails nobody. They are the only code that
builds these mails; the apps that publish the events know nothing of them.

Who gets what ("partner side": the partner users following the ticket, or the partner's admins when none
follows; "vendor queue": the active L2 agents, or L3 engineers for a third-level ticket):

| event | kind | to |
|---|---|---|
| vendor message in the thread | vendor_message | partner side |
| escalated to second level, or reopened into the vendor's queue | ticket_escalated | vendor queue + vendor followers |
| handed back (answered, out of scope, information missing) | ticket_handed_back | partner side |
| moved to third level (by the partner or by L2) | ticket_third_level | partner side + L3 engineers + vendor followers |
| resolved by the vendor | ticket_resolved | partner side |
| resolved by the partner after the vendor worked on it | ticket_resolved | vendor followers, else the vendor queue |
| partner message in the thread; the partner returns a waiting ticket | partner_message | vendor followers, else queue |
| included time reaches a threshold (R4.9) | quota_threshold | partner admins + Sales (else PARTNERDESK_SALES_EMAIL) |
| service level at risk (R6.3) | breach_risk | the staff at the ticket's level (L2, or L3) |
| callback requested (R7.2) | appointment | vendor followers, else the vendor queue |
| appointment scheduled, moved, cancelled, logged | appointment | partner side, requester, agent, vendor followers |

Rules for every mail: the actor is never told of its own action; a user gets only the kinds its role
receives (`accounts.choices.NOTIFICATION_KINDS_BY_ROLE`) and not those it switched off; one event is one
mail per recipient (a hand-back's message is told as the hand-back, a partner's reply that gives the ticket
back as the message). Each mail is rendered in the recipient's language. Vendor recipients read the texts
as the vendor may read them (`tickets.selectors.shown`: contact persons masked, the end customer by
pseudonym unless revealed, R1.3, R9.1); partner recipients read their own data, and their mails are marked
confidential so the outbox page does not show them to the vendor. The recipients are partner users and
vendor staff, never end customers: the mails carry the desk's own sender (DEFAULT_FROM_EMAIL) and no
partner brand (R9.6 concerns what end customers see; the end customer's replies go through `contact`).

Threading and replies (R7.1): a ticket's mail has `[#<id>]` in its subject, the ticket's reply address
(`addresses.reply_address`) as Reply-To, so that a reply lands on the ticket, a Message-ID made of the
kind, the source row and the recipient, and References to a per-ticket thread id (`<ticket-<id>@domain>`),
by which mail clients keep a ticket's mails together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from partnerdesk.accounts.choices import NotificationKind, Role
from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.accounts.validation import one_line
from partnerdesk.contracts.models import QuotaNotification
from partnerdesk.outbox import events
from partnerdesk.outbox.services import enqueue, vendor_domain
from partnerdesk.tickets.choices import FIRST_LEVEL_STATES, VENDOR_STATES, HandBackReason, Level, TicketState
from partnerdesk.tickets.clocks import vendor_calendar
from partnerdesk.tickets.models import Message, SlaNotification, Ticket, TicketTransition
from partnerdesk.tickets.selectors import followers_of, shown_one

from .addresses import reply_address, thread_id

# The outbox's `kind` of each notification; the older notices keep the kinds the outbox page already shows.
OUTBOX_KINDS = {NotificationKind.QUOTA_THRESHOLD: "quota_notice", NotificationKind.BREACH_RISK: "breach_risk"}
TEMPLATES = "channels/notifications/"
# How long after a hand-back's transition its own message follows in the same service call.
_HAND_BACK_MESSAGE_WITHIN_SECONDS = 5


def register() -> None:
    """Subscribe to the events (ChannelsConfig.ready)."""
    # Deferred: the change's transaction stores the event once; the worker writes the mails (outbox.events).
    events.subscribe(on_state_changed, names=[events.TICKET_STATE_CHANGED], deferred=True)
    events.subscribe(on_vendor_message, names=[events.TICKET_VENDOR_MESSAGE], deferred=True)
    events.subscribe(on_partner_message, names=[events.TICKET_PARTNER_MESSAGE], deferred=True)
    events.subscribe(on_breach_risk, names=[events.TICKET_BREACH_RISK], deferred=True)
    events.subscribe(on_quota_threshold, names=[events.CONTRACT_QUOTA_THRESHOLD], deferred=True)
    events.subscribe(on_appointment_changed, names=[events.APPOINTMENT_CHANGED], deferred=True)


# --- recipients -------------------------------------------------------------------------------------


def _active_partner_users(ticket: Ticket, *roles: str) -> list[User]:
    return list(
        User.objects.filter(
            partner_id=ticket.partner_id, partner__is_active=True, is_active=True, role__in=roles
        ).order_by("pk")
    )


def _partner_side(ticket: Ticket, followers: list[User]) -> list[User]:
    """The partner users following the ticket; when none does, the partner's admins."""
    following = [u for u in followers if u.is_partner]
    return following or _active_partner_users(ticket, Role.PARTNER_ADMIN)


def _vendor_followers(followers: list[User]) -> list[User]:
    return [u for u in followers if u.is_vendor]


def _vendor_queue(level: int) -> list[User]:
    """The active staff of the vendor's queue at the level: L3 engineers at third level, else L2 agents."""
    role = Role.L3_ENGINEER if level >= Level.THIRD else Role.L2_AGENT
    return list(User.objects.filter(partner__isnull=True, role=role, is_active=True).order_by("pk"))


def _wanting(kind: str, users: Iterable[User], *, actor_id: int | None) -> list[User]:
    """Each user once, without the actor, if its role receives the kind and it did not switch it off."""
    chosen: dict[int, User] = {}
    for user in users:
        if user.pk != actor_id and user.pk not in chosen and user.wants_notification(kind):
            chosen[user.pk] = user
    return list(chosen.values())


# --- writing the mails ------------------------------------------------------------------------------


def language_of(user: User | None) -> str:
    return (user.language if user is not None else "") or settings.LANGUAGE_CODE


def _link(path: str) -> str:
    return f"{settings.PARTNERDESK_BASE_URL}{path}" if settings.PARTNERDESK_BASE_URL else ""


def _enqueue(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    source: str,
    recipient: str,
    reference: str,
    ticket_id: int | None = None,
    confidential: bool = False,
) -> None:
    """One notification as an outbox row in the change's transaction (the only place these are enqueued)."""
    headers = {
        # Stable: the kind, the row that caused it and the recipient name the mail.
        "Message-ID": f"<notify.{kind}.{source}.{recipient}@{vendor_domain()}>",
        "Auto-Submitted": "auto-generated",  # RFC 3834: no automatic answers (out-of-office) to these
    }
    reply_to: list[str] = []
    if ticket_id is not None:
        headers["References"] = thread_id(ticket_id)
        reply_to = [reply_address(ticket_id)]
    enqueue(
        kind=OUTBOX_KINDS.get(kind, kind),
        message=EmailMessage(
            subject=one_line(subject),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            reply_to=reply_to,
            headers=headers,
        ),
        reference=reference,
        confidential=confidential,
    )


@dataclass(frozen=True)
class TicketNotice:
    """One ticket notification: its kind, what caused it, its template and subject, and the rows it tells of."""

    kind: str
    ticket: Ticket
    source: str  # e.g. "t42" (transition 42), "m7" (message 7): part of the Message-ID
    template: str
    subject: Callable[[dict[str, Any]], str]  # called in the recipient's language with the context
    actor: User | None = None
    message: Message | None = None
    transition: TicketTransition | None = None
    # More of the template's context, made in the recipient's language (e.g. a due time's wording).
    extra: Callable[[], dict[str, Any]] | None = None


def _end_customer_shown(user: User, ticket: Ticket) -> str:
    customer = ticket.end_customer
    return customer.name if user.is_partner or customer.name_revealed else customer.pseudonym


def _context(notice: TicketNotice, user: User) -> dict[str, Any]:
    """What the template may use, as `user` may read it (the vendor's texts masked, R9.1)."""
    ticket = notice.ticket
    return {
        "ticket": shown_one(user, ticket),
        "message": shown_one(user, notice.message, ticket=ticket) if notice.message else None,
        "transition": shown_one(user, notice.transition, ticket=ticket) if notice.transition else None,
        "actor": str(notice.actor) if notice.actor is not None else "",
        "end_customer": _end_customer_shown(user, ticket),
        "partner": ticket.partner.name,
        "for_vendor": user.is_vendor,
        "ticket_url": _link(f"/tickets/{ticket.pk}/"),
        "profile_url": _link("/profile/"),
        "reopen_days": settings.TICKET_REOPEN_DAYS,
    }


def _tell(notice: TicketNotice, users: Iterable[User]) -> int:
    """Write the notice to each user who wants it, in its language; returns how many mails were written."""
    ticket = notice.ticket
    recipients = _wanting(notice.kind, users, actor_id=notice.actor.pk if notice.actor else None)
    for user in recipients:
        context = _context(notice, user)
        with translation.override(language_of(user)):
            context["why"] = _why(notice.kind)
            if notice.extra is not None:
                context.update(notice.extra())
            subject = f"[#{ticket.pk}] {notice.subject(context)}"
            body = render_to_string(TEMPLATES + notice.template, context)
        _enqueue(
            kind=notice.kind,
            to=user.email,
            subject=subject,
            body=body,
            source=notice.source,
            recipient=f"u{user.pk}",
            reference=f"tickets.Ticket:{ticket.pk}",
            ticket_id=ticket.pk,
            confidential=user.is_partner,  # the partner's mail carries its end customer's name and texts
        )
    return len(recipients)


def _why(kind: str) -> str:
    """The footer's reason, in the active language."""
    label = NotificationKind(kind).label
    return _("You get this mail as “%(kind)s” is switched on for you.") % {"kind": label}


def _ticket(ticket_id: int) -> Ticket:
    """The ticket with what the mails show of it, its end customer's contacts loaded once (masking)."""
    return (
        Ticket.objects.select_related("partner", "end_customer__partner")
        .prefetch_related(Prefetch("end_customer__contacts", queryset=ContactPerson.objects.order_by("pk")))
        .get(pk=ticket_id)
    )


def _subject(text: str) -> Callable[[dict[str, Any]], str]:
    """A subject line: `text` is an English msgid with %(subject)s, %(partner)s, %(actor)s placeholders,
    translated when called (in the recipient's language)."""

    def subject(context: dict[str, Any]) -> str:
        return _(text) % {
            "subject": context["ticket"].subject,
            "partner": context["partner"],
            "actor": context["actor"],
        }

    return subject


# The subject lines (marked for extraction here, translated per recipient by `_subject`).
SUBJECT_VENDOR_MESSAGE = gettext_noop("New message from the vendor: %(subject)s")
SUBJECT_PARTNER_MESSAGE = gettext_noop("New message from %(partner)s: %(subject)s")
SUBJECT_PARTNER_ANSWER = gettext_noop("%(partner)s answered: %(subject)s")
SUBJECT_ESCALATED = gettext_noop("Escalated by %(partner)s: %(subject)s")
SUBJECT_REOPENED = gettext_noop("Reopened by %(partner)s: %(subject)s")
SUBJECT_HANDED_BACK = gettext_noop("Handed back to you: %(subject)s")
SUBJECT_THIRD_LEVEL = gettext_noop("Moved to third level: %(subject)s")
SUBJECT_RESOLVED = gettext_noop("Resolved: %(subject)s")
SUBJECT_BREACH_RISK = gettext_noop("Service level at risk: %(subject)s")
SUBJECT_APPOINTMENT = gettext_noop("%(appointment)s %(change)s: %(subject)s")


# --- the subscribers --------------------------------------------------------------------------------


def on_state_changed(event: events.Event) -> None:
    """Escalation, reopening into the vendor's queue, hand-back, third level, resolution, the partner's
    return of a waiting ticket: each told to the other side (see the table above)."""
    data = event.data
    ticket = _ticket(data["ticket"])
    # The event names its transition; the latest one to that state answers events published without it.
    transitions = TicketTransition.objects.filter(ticket=ticket).select_related("actor")
    transition = (
        transitions.filter(pk=data["transition"]).first()
        if data.get("transition")
        else transitions.filter(to_state=data["to_state"]).order_by("-pk").first()
    )
    if transition is None:
        return
    actor = transition.actor
    from_state, to_state, reason = data["from_state"], data["to_state"], data["reason"]
    source = f"t{transition.pk}"
    followers = list(followers_of(ticket))

    def notice(kind: str, template: str, subject: str, **more: Any) -> TicketNotice:
        return TicketNotice(
            kind=kind,
            ticket=ticket,
            source=source,
            template=template,
            subject=_subject(subject),
            actor=actor,
            transition=transition,
            **more,
        )

    if to_state == TicketState.ESCALATED and from_state in FIRST_LEVEL_STATES:
        _tell(
            notice(NotificationKind.TICKET_ESCALATED, "ticket_escalated.txt", SUBJECT_ESCALATED),
            [*_vendor_queue(Level.SECOND), *_vendor_followers(followers)],
        )
    elif reason == "reopened" and to_state in VENDOR_STATES:
        _tell(
            notice(NotificationKind.TICKET_ESCALATED, "ticket_reopened.txt", SUBJECT_REOPENED),
            [*_vendor_queue(ticket.level), *_vendor_followers(followers)],
        )
    elif to_state == TicketState.THIRD_LEVEL and reason == "third_level":
        _tell(
            notice(NotificationKind.TICKET_THIRD_LEVEL, "ticket_third_level.txt", SUBJECT_THIRD_LEVEL),
            [*_partner_side(ticket, followers), *_vendor_queue(Level.THIRD), *_vendor_followers(followers)],
        )
    elif reason in HandBackReason.values:
        _tell(
            notice(
                NotificationKind.TICKET_HANDED_BACK,
                "ticket_handed_back.txt",
                SUBJECT_HANDED_BACK,
                extra=lambda: {
                    "reason_label": str(HandBackReason(reason).label),
                    "back_at_first_level": to_state in FIRST_LEVEL_STATES,
                },
            ),
            _partner_side(ticket, followers),
        )
    elif reason == "returned_to_vendor":
        _tell(
            notice(NotificationKind.PARTNER_MESSAGE, "partner_answer.txt", SUBJECT_PARTNER_ANSWER),
            _vendor_followers(followers) or _vendor_queue(ticket.level),
        )
    elif to_state == TicketState.RESOLVED:
        resolved = notice(NotificationKind.TICKET_RESOLVED, "ticket_resolved.txt", SUBJECT_RESOLVED)
        if actor.is_vendor:
            _tell(resolved, _partner_side(ticket, followers))
        elif data["from_level"] >= Level.SECOND:
            _tell(resolved, _vendor_followers(followers) or _vendor_queue(data["from_level"]))
    # Others tell nobody: first-level moves (the vendor does not see them), closing, and the partner's reply
    # in the thread that gives a waiting ticket back (told as the message).


def _is_hand_back_message(ticket: Ticket, message: Message) -> bool:
    """Whether the vendor's message is the one its hand-back carries (`tickets.services.hand_back` moves the
    ticket first, then posts the message): that hand-back's mail already tells the partner of it."""
    last = TicketTransition.objects.filter(ticket=ticket).order_by("-pk").first()
    return (
        last is not None
        and last.reason in HandBackReason.values
        and last.actor_id == message.author_id
        and last.note == message.body
        and abs((message.created_at - last.at).total_seconds()) <= _HAND_BACK_MESSAGE_WITHIN_SECONDS
    )


def _message(event: events.Event) -> tuple[Ticket, Message]:
    ticket = _ticket(event.data["ticket"])
    return ticket, Message.objects.select_related("author").get(pk=event.data["message"])


def on_vendor_message(event: events.Event) -> None:
    """The vendor wrote in the thread: the partner side is told (R7.1)."""
    ticket, message = _message(event)
    if _is_hand_back_message(ticket, message):
        return
    followers = list(followers_of(ticket))
    _tell(
        TicketNotice(
            kind=NotificationKind.VENDOR_MESSAGE,
            ticket=ticket,
            source=f"m{message.pk}",
            template="vendor_message.txt",
            subject=_subject(SUBJECT_VENDOR_MESSAGE),
            actor=message.author,
            message=message,
        ),
        _partner_side(ticket, followers),
    )


def on_partner_message(event: events.Event) -> None:
    """The partner wrote in the thread: the vendor users following the ticket, else the vendor's queue."""
    ticket, message = _message(event)
    followers = list(followers_of(ticket))
    _tell(
        TicketNotice(
            kind=NotificationKind.PARTNER_MESSAGE,
            ticket=ticket,
            source=f"m{message.pk}",
            template="partner_message.txt",
            subject=_subject(SUBJECT_PARTNER_MESSAGE),
            actor=message.author,
            message=message,
        ),
        _vendor_followers(followers) or _vendor_queue(max(ticket.level, Level.SECOND)),
    )


def _local(moment: datetime) -> str:
    zone = vendor_calendar().zone
    return f"{timezone.localtime(moment, zone):%Y-%m-%d %H:%M} ({zone.key})"


def on_breach_risk(event: events.Event) -> None:
    """A service level is at risk (R6.3): the staff at the ticket's level, each in its language."""
    ticket = _ticket(event.data["ticket"])
    clock = event.data["clock"]
    notice_row = SlaNotification.objects.filter(ticket=ticket, clock=clock).order_by("-pk").first()
    if notice_row is None:
        return
    _tell(
        TicketNotice(
            kind=NotificationKind.BREACH_RISK,
            ticket=ticket,
            source=f"s{notice_row.pk}",
            template="breach_risk.txt",
            subject=_subject(SUBJECT_BREACH_RISK),
            extra=lambda: {
                "clock": _("first response") if clock == "first_response" else _("resolution"),
                "due": _local(notice_row.due_at),
            },
        ),
        _vendor_queue(ticket.level),
    )


def _hours(units: int, unit_minutes: int) -> str:
    minutes = units * unit_minutes
    return f"{minutes // 60}:{minutes % 60:02d}"


def on_quota_threshold(event: events.Event) -> None:
    """A term's included time reached a threshold (R4.9): the partner's admins and the vendor's Sales, each in
    its language; the sales address (PARTNERDESK_SALES_EMAIL) when the vendor has no active Sales user."""
    notification = (
        QuotaNotification.objects.select_related("contract__partner", "contract__plan", "term")
        .filter(term_id=event.data["term"], threshold=event.data["threshold"])
        .first()
    )
    if notification is None:
        return
    contract, term = notification.contract, notification.term
    admins = User.objects.filter(
        partner=contract.partner, partner__is_active=True, role=Role.PARTNER_ADMIN, is_active=True
    ).order_by("pk")
    sales = list(User.objects.filter(partner__isnull=True, role=Role.SALES, is_active=True).order_by("pk"))
    recipients: list[tuple[str, str, User | None]] = [
        (u.email, f"u{u.pk}", u) for u in _wanting(NotificationKind.QUOTA_THRESHOLD, [*admins, *sales], actor_id=None)
    ]
    if not sales:
        recipients.append((settings.PARTNERDESK_SALES_EMAIL, "sales", None))
    values = {
        "percent": notification.threshold,
        "contract": contract.label,
        "partner": contract.partner.name,
        "used": _hours(notification.included_units_used, term.unit_minutes),
        "granted": _hours(notification.included_units_granted, term.unit_minutes),
        "start": term.start_date.isoformat(),
        "end": term.end_date.isoformat() if term.end_date else "",
    }
    for address, recipient, user in recipients:
        with translation.override(language_of(user)):
            subject = _("%(partner)s: %(percent)s%% of the included time of contract %(contract)s used") % values
            context = {
                **values,
                "why": _why(NotificationKind.QUOTA_THRESHOLD) if user is not None else "",
                "profile_url": _link("/profile/") if user is not None else "",
                "contract_url": _link(f"/contracts/{contract.pk}/"),
            }
            body = render_to_string(TEMPLATES + "quota_threshold.txt", context)
        _enqueue(
            kind=NotificationKind.QUOTA_THRESHOLD,
            to=address,
            subject=subject,
            body=body,
            source=f"q{notification.pk}",
            recipient=recipient,
            reference=f"contracts.QuotaNotification:{notification.pk}",
        )


def on_appointment_changed(event: events.Event) -> None:
    """A callback, web meeting or remote session was requested, scheduled, moved, cancelled or logged (R7.2-R7.4):
    the other side and the agent, each in its language. Only what both sides may read: kind, change, time, agent
    (the partner's topic can name the end customer, R9.1)."""
    from .choices import AppointmentChangeKind, AppointmentKind
    from .models import AppointmentChange

    change = (
        AppointmentChange.objects.select_related("appointment__agent", "appointment__requested_by", "actor")
        .filter(pk=event.data["change"])
        .first()
    )
    if change is None:
        return
    appointment = change.appointment
    ticket = _ticket(appointment.ticket_id)
    followers = list(followers_of(ticket))
    if change.kind == AppointmentChangeKind.REQUESTED:
        users = _vendor_followers(followers) or _vendor_queue(max(ticket.level, Level.SECOND))
    else:
        users = [*_partner_side(ticket, followers), *_vendor_followers(followers)]
        for user in (appointment.requested_by, appointment.agent):
            if user is not None and user.is_active:
                users.append(user)

    def subject(context: dict[str, Any]) -> str:
        return _(SUBJECT_APPOINTMENT) % {
            "appointment": AppointmentKind(appointment.kind).label,
            "change": AppointmentChangeKind(change.kind).label,
            "subject": context["ticket"].subject,
        }

    _tell(
        TicketNotice(
            kind=NotificationKind.APPOINTMENT,
            ticket=ticket,
            source=f"a{change.pk}",
            template="appointment_changed.txt",
            subject=subject,
            actor=change.actor,
            extra=lambda: {
                "appointment_kind": str(AppointmentKind(appointment.kind).label),
                "change": str(AppointmentChangeKind(change.kind).label),
                "starts": _local(appointment.starts_at) if appointment.starts_at else "",
                "agent": str(appointment.agent) if appointment.agent else "",
                "appointment_id": appointment.pk,
            },
        ),
        users,
    )
