"""Every write to tickets: capture, the levels and their transitions, messages, attachments, defects.

Each function takes the acting user, checks its right, and writes the ticket change and its
transition row in one transaction (R5.8). Outbound effects (mail, webhooks) are the subscribers' of the
events published here (`outbox.events`), written in the same transaction; this app sends nothing itself.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import PARTNER_ROLES, SUPPORT_ROLES, Role
from partnerdesk.accounts.models import EndCustomer, User
from partnerdesk.accounts.services import ensure_role
from partnerdesk.accounts.validation import choose_one_of
from partnerdesk.contracts import selectors as contract_selectors
from partnerdesk.contracts.models import Contract
from partnerdesk.manual import selectors as manual_selectors
from partnerdesk.manual.models import Section
from partnerdesk.outbox import events

from . import clocks, locks
from .choices import (
    CAPTURE_FIELDS,
    COVERED_CATEGORIES,
    FIRST_LEVEL_STATES,
    MANUAL_SECTIONS_CAPTURE,
    PAUSED_STATES,
    DefectStatus,
    HandBackReason,
    Level,
    ManualLinkKind,
    MessageKind,
    TicketState,
)
from .models import (
    Attachment,
    Message,
    ProductDefect,
    SlaNotification,
    Ticket,
    TicketFollower,
    TicketManualSection,
    TicketTransition,
)

VENDOR_WORKERS = (*SUPPORT_ROLES, Role.VENDOR_ADMIN)

# Which transitions exist at all (R5.8); who may take them is checked by each service.
ALLOWED: dict[str, set[str]] = {
    TicketState.NEW: {
        TicketState.IN_PROGRESS,
        TicketState.WAITING_FOR_END_CUSTOMER,
        TicketState.ESCALATED,
        TicketState.RESOLVED,
    },
    TicketState.IN_PROGRESS: {TicketState.WAITING_FOR_END_CUSTOMER, TicketState.ESCALATED, TicketState.RESOLVED},
    TicketState.WAITING_FOR_END_CUSTOMER: {TicketState.IN_PROGRESS, TicketState.ESCALATED, TicketState.RESOLVED},
    TicketState.ESCALATED: {
        TicketState.WAITING_FOR_PARTNER,
        TicketState.THIRD_LEVEL,
        TicketState.IN_PROGRESS,
        TicketState.RESOLVED,
    },
    TicketState.WAITING_FOR_PARTNER: {
        TicketState.ESCALATED,
        TicketState.THIRD_LEVEL,
        TicketState.IN_PROGRESS,
        TicketState.RESOLVED,
    },
    TicketState.THIRD_LEVEL: {TicketState.WAITING_FOR_PARTNER, TicketState.IN_PROGRESS, TicketState.RESOLVED},
    TicketState.RESOLVED: {TicketState.CLOSED, TicketState.IN_PROGRESS, TicketState.ESCALATED, TicketState.THIRD_LEVEL},
    TicketState.CLOSED: set(),
}


def required_capture_fields() -> tuple[str, ...]:
    """The capture fields required before escalation (R5.2); the vendor's setting."""
    return tuple(settings.TICKET_REQUIRED_CAPTURE)


def missing_capture(ticket: Ticket) -> list[str]:
    """The required capture fields still empty (R5.2); a linked manual section counts as consulted."""
    missing = []
    for field in required_capture_fields():
        if field == MANUAL_SECTIONS_CAPTURE:
            # Read through the prefetch cache where the caller made one (the API and pages do).
            if not any(link.kind == ManualLinkKind.CONSULTED for link in ticket.manual_links.all()):
                missing.append(field)
        elif not str(getattr(ticket, field, "") or "").strip():
            missing.append(field)
    return missing


def _ensure_partner_of(user: User, ticket: Ticket) -> None:
    ensure_role(user, *PARTNER_ROLES)
    if user.partner_id != ticket.partner_id:
        raise PermissionDenied(_("Your role does not allow this action."))


def _lock(ticket: Ticket) -> Ticket:
    return locks.lock_ticket(ticket.pk)


def _transition(
    ticket: Ticket, *, actor: User, to_state: str, to_level: int | None = None, reason: str = "", note: str = ""
) -> None:
    """Move the ticket and record who, when, from, to and why, in the caller's transaction (R5.8)."""
    if to_state not in ALLOWED[ticket.state]:
        raise ValidationError(
            {
                "state": _("A ticket in state “%(from)s” cannot move to “%(to)s”.")
                % {"from": TicketState(ticket.state).label, "to": TicketState(to_state).label}
            }
        )
    now = timezone.now()
    from_state, from_level = ticket.state, ticket.level
    # Service-level clocks stop while the ticket waits for the partner (R6.3).
    if to_state in PAUSED_STATES and from_state not in PAUSED_STATES:
        ticket.clock_paused_at = now
    elif from_state in PAUSED_STATES and to_state not in PAUSED_STATES and ticket.clock_paused_at:
        if ticket.first_response_at is None:
            ticket.first_response_due_at = clocks.shifted_by_pause(
                ticket.first_response_due_at, ticket.clock_paused_at, now
            )
        ticket.resolution_due_at = clocks.shifted_by_pause(ticket.resolution_due_at, ticket.clock_paused_at, now)
        ticket.clock_paused_at = None
    ticket.state = to_state
    if to_level is not None:
        ticket.level = to_level
    if to_state == TicketState.RESOLVED:
        ticket.resolved_at = now
    elif from_state == TicketState.RESOLVED:
        ticket.resolved_at = None
    _refresh_due(ticket)
    ticket.save()
    transition = TicketTransition.objects.create(
        ticket=ticket,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        from_level=from_level,
        to_level=ticket.level,
        reason=reason,
        note=note,
    )
    events.publish(
        events.TICKET_STATE_CHANGED,
        partner_id=ticket.partner_id,
        actor_id=actor.pk,
        data={
            "ticket": ticket.pk,
            "transition": transition.pk,
            "from_state": from_state,
            "to_state": to_state,
            "from_level": from_level,
            "to_level": ticket.level,
            "reason": reason,
            "at": now.isoformat(),
        },
    )


def _refresh_due(ticket: Ticket) -> None:
    """The queue's due time: the first running clock (none while paused, resolved or at first level)."""
    if ticket.state not in (TicketState.ESCALATED, TicketState.THIRD_LEVEL):
        ticket.due_at = None
    elif ticket.first_response_at is None and ticket.first_response_due_at is not None:
        ticket.due_at = ticket.first_response_due_at
    else:
        ticket.due_at = ticket.resolution_due_at


# --- capture --------------------------------------------------------------------------------------

EDITABLE_FIELDS = ("subject", *CAPTURE_FIELDS)  # the consulted manual sections: manual_section_ids


def _apply_capture(ticket: Ticket, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({field: _("Unknown field.") for field in sorted(unknown)})
    for field, value in changes.items():
        setattr(ticket, field, value if value is not None else "")
    # The fields' own checks; the table's constraints are checked by the database itself on the write
    # (`_saved`), not by a query before it.
    ticket.full_clean(exclude=["partner", "end_customer", "created_by", "charged_contract"], validate_constraints=False)


# A constraint of tickets_ticket that fails on a write is a 422 naming its field, not a server error.
CONSTRAINT_FIELDS = {"ticket_level_1_to_3": "level"}


def _saved(ticket: Ticket) -> Ticket:
    """Save the ticket; the database checks its constraints (the enclosing transaction is rolled back)."""
    try:
        ticket.save()
    except IntegrityError as error:
        for constraint, field in CONSTRAINT_FIELDS.items():
            if constraint in str(error) or constraint in str(getattr(error, "__cause__", "")):
                raise ValidationError({field: _("Choose level 1, 2 or 3.")}) from error
        raise
    return ticket


def _sections(user: User, section_ids: Iterable[int]) -> list[Section]:
    """The published sections of these ids; an id the user cannot read is refused like an unknown one."""
    ids = set(section_ids)
    sections = manual_selectors.sections_by_ids(user, ids, published_only=True)
    if len(sections) != len(ids):
        raise ValidationError({"manual_section_ids": _("Choose published sections of the manual.")})
    return sections


def _link_consulted(ticket: Ticket, user: User, section_ids: Iterable[int]) -> None:
    """The consulted sections become exactly these (R8.2)."""
    sections = _sections(user, section_ids)
    links = ticket.manual_links.filter(kind=ManualLinkKind.CONSULTED)
    links.exclude(section__in=sections).delete()
    TicketManualSection.objects.bulk_create(
        [
            TicketManualSection(ticket=ticket, section=s, kind=ManualLinkKind.CONSULTED, created_by=user)
            for s in sections
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def create_ticket(
    *,
    acting_user: User,
    end_customer: EndCustomer,
    subject: str,
    manual_section_ids: Iterable[int] | None = None,
    **capture: Any,
) -> Ticket:
    """First level opens a ticket for one of its own end customers (R5.1), with the manual sections it
    consulted (R8.2)."""
    ensure_role(acting_user, *PARTNER_ROLES)
    if end_customer.partner_id != acting_user.partner_id:
        raise PermissionDenied(_("Your role does not allow this action."))
    if not end_customer.is_active:
        raise ValidationError({"end_customer_id": _("This end customer is inactive.")})
    ticket = Ticket(partner_id=end_customer.partner_id, end_customer=end_customer, created_by=acting_user)
    _apply_capture(ticket, {"subject": subject, **capture})
    _saved(ticket)
    TicketTransition.objects.create(
        ticket=ticket,
        actor=acting_user,
        from_state="",
        to_state=ticket.state,
        from_level=ticket.level,
        to_level=ticket.level,
        reason="created",
    )
    if manual_section_ids:
        _link_consulted(ticket, acting_user, manual_section_ids)
    _follow(ticket, acting_user)  # the creator follows its ticket
    return ticket


@transaction.atomic
def update_capture(
    *,
    acting_user: User,
    ticket: Ticket,
    changes: Mapping[str, Any],
    manual_section_ids: Iterable[int] | None = None,
) -> Ticket:
    """The partner completes or corrects the capture while the ticket is at first level; given section
    ids replace the consulted sections (R8.2)."""
    _ensure_partner_of(acting_user, ticket)
    ticket = _lock(ticket)
    if ticket.state not in FIRST_LEVEL_STATES:
        raise ValidationError({"state": _("The capture can be changed only while the ticket is at first level.")})
    _apply_capture(ticket, changes)
    ticket.save()
    if manual_section_ids is not None:
        _link_consulted(ticket, acting_user, manual_section_ids)
    return ticket


@transaction.atomic
def set_first_level_state(*, acting_user: User, ticket: Ticket, state: str, note: str = "") -> Ticket:
    """L1's own working states: in progress, waiting for the end customer."""
    _ensure_partner_of(acting_user, ticket)
    if state not in (TicketState.IN_PROGRESS, TicketState.WAITING_FOR_END_CUSTOMER):
        raise ValidationError({"state": _("Choose “in progress” or “waiting for end customer”.")})
    ticket = _lock(ticket)
    if ticket.state not in FIRST_LEVEL_STATES:
        raise ValidationError({"state": _("The ticket is not at first level.")})
    _transition(ticket, actor=acting_user, to_state=state, note=note)
    return ticket


# --- escalation -----------------------------------------------------------------------------------


def escalation_problems(
    *, ticket: Ticket, contract: Contract | None, at: datetime
) -> tuple[dict[str, list[str]], Contract | None]:
    """Every condition of R5.4 that fails, field by field, and the contract that would be charged."""
    problems: dict[str, list[str]] = {}
    if ticket.state not in FIRST_LEVEL_STATES:
        problems.setdefault("state", []).append(_("Only a first-level ticket can be escalated to second level."))
    for field in missing_capture(ticket):
        problems.setdefault(field, []).append(_("Required before escalation."))
    if ticket.category and ticket.category not in COVERED_CATEGORIES:
        problems.setdefault("category", []).append(_out_of_scope(ticket))
    covering = contract_selectors.contracts_covering(end_customer=ticket.end_customer, at=at)
    if contract is not None:
        if not covering.filter(pk=contract.pk).exists():
            problems.setdefault("contract_id", []).append(
                _("This contract is not active or does not cover this end customer.")
            )
            contract = None
    else:
        contract = contract_selectors.default_contract_for(end_customer=ticket.end_customer, at=at)
        if contract is None:
            problems.setdefault("contract_id", []).append(_("No active contract covers this end customer."))
    return problems, contract


def manual_sections_for(ticket: Ticket, limit: int = 3) -> list[manual_selectors.Hit]:
    """The published sections that best match the ticket's text, product and version (R5.4, R8.2)."""
    return manual_selectors.suggest_published(
        {f: getattr(ticket, f) for f in manual_selectors.SUGGESTION_FIELDS},
        product=ticket.product,
        version=ticket.product_version,
        limit=limit,
    )


def _out_of_scope(ticket: Ticket) -> str:
    """The refusal for installation and operation, naming the sections that match the ticket (R5.4)."""
    refusal = _(
        "Second level covers malfunctions and software defects only. Installation and operation "
        "questions are answered in the operations and installation manual."
    )
    hits = manual_sections_for(ticket)
    if not hits:
        return refusal
    named = "; ".join(
        f"{hit.section.number} {hit.section.title} ({manual_selectors.section_path(hit.section)})" for hit in hits
    )
    return f"{refusal} {_('Sections that match this ticket:')} {named}"


@transaction.atomic
def escalate(
    *,
    acting_user: User,
    ticket: Ticket,
    level: int = Level.SECOND,
    contract: Contract | None = None,
    shared_message_ids: Iterable[int] = (),
    shared_attachment_ids: Iterable[int] = (),
    note: str = "",
) -> Ticket:
    """Escalate to second level (partner only, R5.4) or to third level (partner, or L2, R5.7)."""
    if level == Level.THIRD:
        return _to_third_level(acting_user=acting_user, ticket=_lock(ticket), note=note)
    if level != Level.SECOND:
        raise ValidationError({"level": _("Choose level 2 or 3.")})
    return escalate_to_second_level(
        acting_user=acting_user,
        ticket=ticket,
        contract=contract,
        shared_message_ids=shared_message_ids,
        shared_attachment_ids=shared_attachment_ids,
        note=note,
    )


@transaction.atomic
def escalate_to_second_level(
    *,
    acting_user: User,
    ticket: Ticket,
    contract: Contract | None = None,
    shared_message_ids: Iterable[int] = (),
    shared_attachment_ids: Iterable[int] = (),
    note: str = "",
) -> Ticket:
    """The partner hands a completely captured ticket to the vendor (R5.4): the covering contract it
    is charged to (R3.3; the partner may choose), the correspondence it shares, the service-level clocks.
    """
    ticket = _lock(ticket)
    _ensure_partner_of(acting_user, ticket)
    now = timezone.now()
    problems, charged = escalation_problems(ticket=ticket, contract=contract, at=now)
    if problems or charged is None:
        raise ValidationError(problems)
    _share_with_vendor(ticket, shared_message_ids, shared_attachment_ids)
    ticket.charged_contract = charged
    ticket.escalated_at = ticket.escalated_at or now
    targets = charged
    ticket.first_response_at = None
    ticket.first_response_due_at = clocks.due_after(now, targets.first_response_minutes)
    ticket.resolution_due_at = clocks.due_after(now, targets.resolution_minutes)
    _transition(
        ticket, actor=acting_user, to_state=TicketState.ESCALATED, to_level=Level.SECOND, reason="escalated", note=note
    )
    return ticket


def _share_with_vendor(ticket: Ticket, message_ids: Iterable[int], attachment_ids: Iterable[int]) -> None:
    """The partner chooses which first-level messages and attachments the vendor sees (R5.5).

    Partner-internal notes can never be shared; ids of another ticket are answered like missing ones.
    """
    message_ids, attachment_ids = set(message_ids), set(attachment_ids)
    shareable = Message.objects.filter(ticket=ticket, kind=MessageKind.END_CUSTOMER)
    found = set(shareable.filter(pk__in=message_ids).values_list("pk", flat=True))
    if message_ids - found:
        raise ValidationError(
            {
                "shared_message_ids": _(
                    "Only correspondence with the end customer on this ticket can be shared; internal notes never."
                )
            }
        )
    files = Attachment.objects.filter(ticket=ticket).exclude(kind=MessageKind.PARTNER_NOTE)
    found_files = set(files.filter(pk__in=attachment_ids).values_list("pk", flat=True))
    if attachment_ids - found_files:
        raise ValidationError({"shared_attachment_ids": _("Only this ticket's shareable attachments can be shared.")})
    shareable.filter(pk__in=message_ids).update(shared_with_vendor=True)
    files.filter(pk__in=attachment_ids).update(shared_with_vendor=True)


def _to_third_level(*, acting_user: User, ticket: Ticket, note: str) -> Ticket:
    """The partner requests third level, or L2 moves the ticket there (R5.7)."""
    if acting_user.is_partner:
        _ensure_partner_of(acting_user, ticket)
    else:
        ensure_role(acting_user, *VENDOR_WORKERS)
    if ticket.level < Level.SECOND or ticket.state not in (TicketState.ESCALATED, TicketState.WAITING_FOR_PARTNER):
        raise ValidationError({"level": _("Third level follows second level: escalate to second level first.")})
    _transition(
        ticket,
        actor=acting_user,
        to_state=TicketState.THIRD_LEVEL,
        to_level=Level.THIRD,
        reason="third_level",
        note=note,
    )
    return ticket


@transaction.atomic
def hand_back(*, acting_user: User, ticket: Ticket, reason: str, message: str) -> Ticket:
    """L2/L3 hands the ticket back to the partner with a reason (R5.6)."""
    ensure_role(acting_user, *VENDOR_WORKERS)
    if reason not in HandBackReason.values:
        raise ValidationError({"reason": choose_one_of(HandBackReason.values)})
    if not message.strip():
        raise ValidationError({"message": _("Tell the partner why.")})
    ticket = _lock(ticket)
    if ticket.state not in (TicketState.ESCALATED, TicketState.THIRD_LEVEL):
        raise ValidationError({"state": _("Only a ticket the vendor is working on can be handed back.")})
    if reason == HandBackReason.ANSWERED:
        _transition(ticket, actor=acting_user, to_state=TicketState.WAITING_FOR_PARTNER, reason=reason, note=message)
    else:
        # Out of scope, or information missing: back to first level; the capture reopens.
        _transition(
            ticket,
            actor=acting_user,
            to_state=TicketState.IN_PROGRESS,
            to_level=Level.FIRST,
            reason=reason,
            note=message,
        )
    # The message after the transition: its event can tell that it is the hand-back's own message (whose
    # transition, published first, already carries it), so the partner is told once.
    _post(ticket, acting_user, MessageKind.THREAD, message)
    return ticket


def _back_to_vendor(ticket: Ticket, *, actor: User, reason: str, note: str = "") -> None:
    """A ticket waiting for the partner returns to the level it was at; its clocks resume (R5.6, R6.3)."""
    to_state = TicketState.THIRD_LEVEL if ticket.level == Level.THIRD else TicketState.ESCALATED
    _transition(ticket, actor=actor, to_state=to_state, reason=reason, note=note)


@transaction.atomic
def return_to_vendor(*, acting_user: User, ticket: Ticket, note: str = "") -> Ticket:
    """The partner answers a hand-back ("answered") and gives the ticket back to the vendor, at the
    level it was at (second or third), with the service-level clocks running again (R5.6, R5.8).
    """
    _ensure_partner_of(acting_user, ticket)
    ticket = _lock(ticket)
    if ticket.state != TicketState.WAITING_FOR_PARTNER:
        raise ValidationError({"state": _("Only a ticket waiting for the partner can go back to the vendor.")})
    _back_to_vendor(ticket, actor=acting_user, reason="returned_to_vendor", note=note)
    return ticket


@transaction.atomic
def resolve(
    *,
    acting_user: User,
    ticket: Ticket,
    note: str = "",
    solved_with_manual: bool = False,
    manual_section_ids: Iterable[int] = (),
) -> Ticket:
    """The partner resolves its own tickets at any level; the vendor those it works on.

    First level may resolve "solved with the manual", naming the sections that solved it (R8.3).
    """
    ticket = _lock(ticket)
    if acting_user.is_partner:
        _ensure_partner_of(acting_user, ticket)
    else:
        ensure_role(acting_user, *VENDOR_WORKERS)
        if ticket.state not in (TicketState.ESCALATED, TicketState.THIRD_LEVEL, TicketState.WAITING_FOR_PARTNER):
            raise ValidationError({"state": _("The vendor resolves only tickets at second or third level.")})
    section_ids = list(manual_section_ids)
    if solved_with_manual or section_ids:
        if not acting_user.is_partner or ticket.state not in FIRST_LEVEL_STATES:
            raise ValidationError(
                {"solved_with_manual": _("Only first level solves a ticket with the manual, before escalating it.")}
            )
        if not section_ids:
            raise ValidationError({"manual_section_ids": _("Name the manual sections that solved the ticket.")})
        sections = _sections(acting_user, section_ids)
        TicketManualSection.objects.bulk_create(
            [
                TicketManualSection(ticket=ticket, section=s, kind=ManualLinkKind.SOLVED, created_by=acting_user)
                for s in sections
            ],
            ignore_conflicts=True,
        )
        ticket.solved_with_manual = True
    _transition(ticket, actor=acting_user, to_state=TicketState.RESOLVED, reason="resolved", note=note)
    return ticket


@transaction.atomic
def close(*, acting_user: User, ticket: Ticket, note: str = "") -> Ticket:
    _ensure_partner_of(acting_user, ticket)
    ticket = _lock(ticket)
    if ticket.state != TicketState.RESOLVED:
        raise ValidationError({"state": _("Only a resolved ticket can be closed.")})
    _transition(ticket, actor=acting_user, to_state=TicketState.CLOSED, reason="closed", note=note)
    return ticket


@transaction.atomic
def reopen(*, acting_user: User, ticket: Ticket, reason: str) -> Ticket:
    """A resolved ticket can be reopened by its partner within the reopen window (R5.8)."""
    _ensure_partner_of(acting_user, ticket)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the ticket is reopened.")})
    ticket = _lock(ticket)
    if ticket.state != TicketState.RESOLVED or ticket.resolved_at is None:
        raise ValidationError({"state": _("Only a resolved ticket can be reopened.")})
    window = timedelta(days=settings.TICKET_REOPEN_DAYS)
    if timezone.now() - ticket.resolved_at > window:
        raise ValidationError(
            {"state": _("The reopen window of %(days)s days has passed.") % {"days": settings.TICKET_REOPEN_DAYS}}
        )
    to_state = {
        Level.FIRST: TicketState.IN_PROGRESS,
        Level.SECOND: TicketState.ESCALATED,
        Level.THIRD: TicketState.THIRD_LEVEL,
    }[Level(ticket.level)]
    if ticket.solved_with_manual:  # the manual did not solve it after all (R8.3)
        ticket.solved_with_manual = False
        ticket.manual_links.filter(kind=ManualLinkKind.SOLVED).delete()
    _transition(ticket, actor=acting_user, to_state=to_state, reason="reopened", note=reason)
    return ticket


# --- following -----------------------------------------------------------------------------------


def _follow(ticket: Ticket, user: User) -> None:
    # A second follow of the same user is no error (the unique constraint keeps one row).
    TicketFollower.objects.bulk_create([TicketFollower(ticket=ticket, user=user)], ignore_conflicts=True)


@transaction.atomic
def follow(*, acting_user: User, ticket: Ticket) -> bool:
    """The user follows the ticket and is told of the other side's messages and moves by mail.

    Partner users follow their own partner's tickets; the vendor's support staff and admins follow tickets
    that were escalated (the only ones they see, R1.2). Returns the new state: following.
    """
    if acting_user.is_partner:
        _ensure_partner_of(acting_user, ticket)
    else:
        ensure_role(acting_user, *VENDOR_WORKERS)
        if ticket.level < Level.SECOND and ticket.escalated_at is None:
            raise PermissionDenied(_("Your role does not allow this action."))
    _follow(ticket, acting_user)
    return True


@transaction.atomic
def unfollow(*, acting_user: User, ticket: Ticket) -> bool:
    """The user stops following the ticket (anyone may, whatever its role now). Returns: not following."""
    TicketFollower.objects.filter(ticket=ticket, user=acting_user).delete()
    return False


# --- messages and attachments ---------------------------------------------------------------------


def _post(ticket: Ticket, author: User, kind: str, body: str) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author=author,
        author_name=str(author),
        body=body,
        shared_with_vendor=kind in (MessageKind.THREAD, MessageKind.VENDOR_NOTE),
    )
    if kind == MessageKind.THREAD and author.is_vendor and ticket.first_response_at is None:
        ticket.first_response_at = message.created_at  # the first vendor answer stops that clock (R6.3)
        _refresh_due(ticket)
        ticket.save(update_fields=["first_response_at", "due_at"])
    if kind == MessageKind.THREAD:
        _follow(ticket, author)  # whoever writes in the thread follows the ticket
        events.publish(
            events.TICKET_VENDOR_MESSAGE if author.is_vendor else events.TICKET_PARTNER_MESSAGE,
            partner_id=ticket.partner_id,
            actor_id=author.pk,
            data={
                "ticket": ticket.pk,
                "message": message.pk,
                "author": message.author_name,
                "body": message.body,
                "at": message.created_at.isoformat(),
            },
        )
    return message


def allowed_message_kinds(user: User, ticket: Ticket) -> set[str]:
    """The kinds of message this user may write on this ticket (R5.9)."""
    if user.is_vendor:
        works = user.role in VENDOR_WORKERS
        return {MessageKind.THREAD, MessageKind.VENDOR_NOTE} if works and ticket.escalated_at else set()
    kinds = {MessageKind.PARTNER_NOTE, MessageKind.END_CUSTOMER}
    if ticket.escalated_at:
        kinds.add(MessageKind.THREAD)
    return kinds


@transaction.atomic
def post_message(*, acting_user: User, ticket: Ticket, kind: str, body: str) -> Message:
    """A message on the ticket (R5.9): the partner-vendor thread or one side's internal note.

    Correspondence with the end customer recorded here is the partner's own; the vendor contacts an
    end customer only through the authorised paths of section 9.
    """
    if acting_user.is_vendor:
        ensure_role(acting_user, *VENDOR_WORKERS)
    else:
        _ensure_partner_of(acting_user, ticket)
    ticket = _lock(ticket)
    if kind not in MessageKind.values:
        raise ValidationError({"kind": choose_one_of(MessageKind.values)})
    if kind not in allowed_message_kinds(acting_user, ticket):
        raise ValidationError({"kind": _("You cannot write this kind of message on this ticket.")})
    if not body.strip():
        raise ValidationError({"body": _("This field is required.")})
    if ticket.state == TicketState.CLOSED:
        raise ValidationError({"state": _("The ticket is closed.")})
    message = _post(ticket, acting_user, kind, body)
    if kind == MessageKind.THREAD and acting_user.is_partner and ticket.state == TicketState.WAITING_FOR_PARTNER:
        # The partner's reply in the shared thread is its answer: the ticket is the vendor's again.
        _back_to_vendor(ticket, actor=acting_user, reason="partner_replied")
    return message


# Leading bytes of the binary types we accept: a file must be what it says it is.
_SIGNATURES = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/gzip": (b"\x1f\x8b",),
}


def _check_upload(upload: UploadedFile) -> str:
    """Size limit, an accepted content type, a name that agrees with it, and content that matches it."""
    if not upload.size:
        raise ValidationError({"file": _("The file is empty.")})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB.") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}}
        )
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    guessed = (mimetypes.guess_type(upload.name or "")[0] or "").lower()
    refused = ValidationError({"file": _("This type of file is not accepted (%(type)s).") % {"type": declared or "?"}})
    if declared not in settings.ATTACHMENT_CONTENT_TYPES or (guessed and guessed != declared):
        raise refused
    signatures = _SIGNATURES.get(declared)
    if signatures:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(signatures):
            raise refused
    return declared


def upload_problem(upload: UploadedFile) -> str | None:
    """Why this file would be refused as an attachment (the same checks as uploads), or None."""
    try:
        _check_upload(upload)
    except ValidationError as error:
        return "; ".join(str(m) for messages in error.message_dict.values() for m in messages)
    return None


@transaction.atomic
def add_attachment(
    *,
    acting_user: User,
    ticket: Ticket,
    upload: UploadedFile,
    kind: str = MessageKind.THREAD,
    shared_with_vendor: bool = False,
    message: Message | None = None,
) -> Attachment:
    """A file on the ticket, size-limited and content-type checked, kept through Django's storage."""
    if acting_user.is_vendor:
        ensure_role(acting_user, *VENDOR_WORKERS)
    else:
        _ensure_partner_of(acting_user, ticket)
    ticket = _lock(ticket)
    if kind not in allowed_message_kinds(acting_user, ticket):
        raise ValidationError({"kind": _("You cannot add this kind of attachment on this ticket.")})
    content_type = _check_upload(upload)
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    shared = kind in (MessageKind.THREAD, MessageKind.VENDOR_NOTE) or (
        kind == MessageKind.END_CUSTOMER and shared_with_vendor
    )
    attachment = Attachment(
        ticket=ticket,
        filename=name,
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=acting_user,
        kind=kind,
        shared_with_vendor=shared,
        message=message if message is not None and message.ticket_id == ticket.pk else None,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


# --- product defects -----------------------------------------------------------------------------


@transaction.atomic
def link_defect(
    *,
    acting_user: User,
    ticket: Ticket,
    key: str,
    title: str = "",
    status: str | None = None,
    fixed_in_version: str | None = None,
) -> ProductDefect:
    """L2/L3 link a ticket to a product defect, creating it when new (R5.10)."""
    ensure_role(acting_user, *VENDOR_WORKERS)
    key = key.strip()
    if not key:
        raise ValidationError({"key": _("This field is required.")})
    defect = locks.lock_defect_by_key(key)
    if defect is None:
        if not title.strip():
            raise ValidationError({"title": _("A new defect needs a title.")})
        defect = ProductDefect(key=key, title=title.strip())
    if status is not None or fixed_in_version is not None:
        _apply_defect(defect, status, fixed_in_version)
    defect.full_clean()
    defect.save()
    defect.tickets.add(ticket)
    return defect


def _apply_defect(defect: ProductDefect, status: str | None, fixed_in_version: str | None) -> None:
    if status is not None:
        if status not in DefectStatus.values:
            raise ValidationError({"status": choose_one_of(DefectStatus.values)})
        defect.status = status
    if fixed_in_version is not None:
        defect.fixed_in_version = fixed_in_version.strip()
    if defect.status == DefectStatus.FIXED and not defect.fixed_in_version:
        raise ValidationError({"fixed_in_version": _("Name the version that fixes the defect.")})


@transaction.atomic
def update_defect(
    *, acting_user: User, defect: ProductDefect, status: str | None = None, fixed_in_version: str | None = None
) -> ProductDefect:
    ensure_role(acting_user, *VENDOR_WORKERS)
    defect = locks.lock_defect(defect.pk)
    _apply_defect(defect, status, fixed_in_version)
    defect.full_clean()
    defect.save()
    return defect


# --- service-level breach risk (R6.3) -------------------------------------------------------------


def notify_breach_risks(*, now: datetime | None = None) -> int:
    """Tell the vendor's support staff about every ticket whose running due time is near or past.

    "Near" is SLA_BREACH_WARNING_MINUTES of support time. Each ticket, clock and due time is
    announced once (a unique row), so running this every few minutes from cron or a worker is safe.
    Returns how many notices were made.
    """
    now = now or timezone.now()
    horizon = clocks.vendor_calendar().add(now, timedelta(minutes=settings.SLA_BREACH_WARNING_MINUTES))
    at_risk = Ticket.objects.filter(
        state__in=[TicketState.ESCALATED, TicketState.THIRD_LEVEL], due_at__isnull=False, due_at__lte=horizon
    ).select_related("partner", "end_customer")
    made = 0
    for ticket in at_risk:
        clock = "first_response" if ticket.first_response_at is None and ticket.first_response_due_at else "resolution"
        with transaction.atomic():
            _notice, created = SlaNotification.objects.get_or_create(ticket=ticket, clock=clock, due_at=ticket.due_at)
            if created:
                made += 1
                # The notice's mail to the staff at the ticket's level is the event's subscriber's (channels).
                events.publish(
                    events.TICKET_BREACH_RISK,
                    partner_id=ticket.partner_id,
                    data={"ticket": ticket.pk, "clock": clock, "due_at": ticket.due_at.isoformat()},
                )
    return made
