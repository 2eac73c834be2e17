"""The one enforcement point for the vendor's contact with end customers (R9.3).

Every outbound path (mail, callback, web meeting, remote session) passes here twice:

1. **Before acting**: ``authorize_contact(acting_user=, ticket=, contact_person=, channel=)`` checks that a
   current authorisation of the partner covers this ticket, this contact person and this channel, and
   returns a ``ContactPermit``. Without one it raises ``ContactRefused`` (a ``PermissionDenied`` with a
   clear German/English message) and logs the refused attempt in the audit log.
2. **At the moment of acting**: ``perform_contact(permit=, channel=, act=)`` re-checks the permit's authorisation
   under its row lock (a revocation waits, or wins) inside one transaction, runs ``act(moment)``,
   and logs the contact. Revoked or expired in between: refused, ``act`` never runs, the attempt is logged
   after the rollback.

A ``ContactPermit`` cannot be made anywhere else: its constructor refuses, it cannot be copied or pickled,
and it carries a seal (an HMAC over its fields with the installation's secret) that ``perform_contact``
checks, so a forged or altered permit is refused even when made by reflection. The outbound functions
(``outbound.send_mail_to_end_customer``; later ``channels``' callbacks, meetings and remote sessions) take a
permit and do their work only inside ``perform_contact``: there is no way to reach an end customer
without passing the check at the moment of acting.

For a later channel::

    permit = authorize_contact(acting_user=agent, ticket=ticket, contact_person=person, channel=Channel.CALL)
    callback = perform_contact(permit=permit, channel=Channel.CALL,
                               act=lambda moment: Callback.objects.create(ticket=moment.ticket, ...),
                               describe=lambda callback: {"callback": callback.pk})

Call both outside any transaction that the caller would roll back on a refusal, so that the refusal's
audit row survives (the API and the pages do: a refusal becomes a 403 response, which commits).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to

from . import locks
from .audit import append_entry, lock_chain
from .choices import CONTACT_ROLES, AuditAction, Channel, RefusalReason
from .models import ContactAuthorization

T = TypeVar("T")

_SEAL_SALT = "partnerdesk.contact.gate.ContactPermit"
_FIELDS = (
    "authorization_id",
    "ticket_id",
    "contact_person_id",
    "channel",
    "acting_user_id",
    "appear_as",
    "valid_until",
    "issued_at",
)


class ContactRefused(PermissionDenied):
    """The gate's no: `reason` is a `RefusalReason` code; the message names it in the user's language and
    never contains contact data (ids only)."""

    def __init__(self, reason: str, *, authorization_id: int | None = None, contact_person_id: int | None = None):
        self.reason = reason
        self.authorization_id = authorization_id
        self.contact_person_id = contact_person_id
        super().__init__(reason)

    @property
    def message(self) -> str:
        text = str(RefusalReason(self.reason).label)
        if self.reason in (RefusalReason.PERSON_NOT_COVERED, RefusalReason.NO_ADDRESS) and self.contact_person_id:
            text += " " + str(_("(contact person #%(id)s)") % {"id": self.contact_person_id})
        return text + " " + str(_("Nothing was sent; the attempt is logged."))

    def __str__(self) -> str:
        return self.message


class ContactPermit:
    """Proof that the gate allowed one kind of contact: this vendor user, this ticket, this contact person,
    this channel, under this authorisation. Issued only by `authorize_contact`; checked again by
    `perform_contact` at the moment of acting."""

    __slots__ = (*_FIELDS, "_seal")

    authorization_id: int
    ticket_id: int
    contact_person_id: int
    channel: str
    acting_user_id: int
    appear_as: str
    valid_until: datetime
    issued_at: datetime

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("A ContactPermit is issued only by partnerdesk.contact.gate.authorize_contact().")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("A ContactPermit cannot be changed.")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("A ContactPermit cannot be changed.")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("A ContactPermit cannot be copied or pickled.")

    def __repr__(self) -> str:
        return (
            f"<ContactPermit authorization={self.authorization_id} ticket={self.ticket_id} "
            f"person={self.contact_person_id} channel={self.channel}>"
        )


def _seal_of(values: dict[str, Any]) -> str:
    text = "|".join(
        f"{name}={values[name].isoformat() if isinstance(values[name], datetime) else values[name]}" for name in _FIELDS
    )
    return salted_hmac(_SEAL_SALT, text, algorithm="sha256").hexdigest()


def _issue(**values: Any) -> ContactPermit:
    permit = object.__new__(ContactPermit)
    for name in _FIELDS:
        object.__setattr__(permit, name, values[name])
    object.__setattr__(permit, "_seal", _seal_of(values))
    return permit


def _seal_holds(permit: Any) -> bool:
    if type(permit) is not ContactPermit:
        return False
    try:
        values = {name: getattr(permit, name) for name in _FIELDS}
        seal = object.__getattribute__(permit, "_seal")
    except AttributeError:
        return False
    return hmac.compare_digest(str(seal), _seal_of(values))


# --- the check ------------------------------------------------------------------------------------


def _covering(
    *,
    acting_user: User,
    ticket: Ticket,
    contact_person: ContactPerson | None,
    channel: str,
    at: datetime,
    lock: bool = False,
) -> ContactAuthorization:
    """The current authorisation covering this contact, or ContactRefused naming the most specific reason."""
    person_id = contact_person.pk if contact_person is not None else None
    if not acting_user.is_active or not acting_user.is_vendor or acting_user.role not in CONTACT_ROLES:
        raise ContactRefused(RefusalReason.NOT_VENDOR_STAFF)
    if channel not in Channel.values:
        raise ContactRefused(RefusalReason.UNKNOWN_CHANNEL)
    if not tickets_visible_to(acting_user).filter(pk=ticket.pk).exists():
        raise ContactRefused(RefusalReason.TICKET_NOT_VISIBLE)
    if contact_person is None or contact_person.end_customer_id != ticket.end_customer_id:
        raise ContactRefused(RefusalReason.PERSON_NOT_OF_CUSTOMER, contact_person_id=person_id)
    candidates = ContactAuthorization.objects.filter(
        Q(ticket__isnull=True) | Q(ticket_id=ticket.pk),
        partner_id=ticket.partner_id,
        end_customer_id=ticket.end_customer_id,
    ).order_by("pk")
    if lock:
        # NO KEY UPDATE: an audit row's foreign-key check (KEY SHARE) on these rows never waits for it.
        candidates = locks.locked_authorizations(candidates)
    rows = list(candidates)
    persons: dict[int, set[int]] = {}
    through = ContactAuthorization.contact_persons.through.objects.filter(
        contactauthorization_id__in=[a.pk for a in rows]
    )
    for auth_id, pid in through.values_list("contactauthorization_id", "contactperson_id"):
        persons.setdefault(auth_id, set()).add(pid)

    def covers_person(a: ContactAuthorization) -> bool:
        return person_id in persons.get(a.pk, set())

    current = [a for a in rows if a.state_at(at) == "current"]
    covering = [a for a in current if channel in a.channels and covers_person(a)]
    if covering:
        # A ticket's own authorisation wins over one for all tickets; then the most recent grant.
        covering.sort(key=lambda a: (a.ticket_id is not None, a.granted_at, a.pk), reverse=True)
        return covering[0]
    matching = [a for a in rows if channel in a.channels and covers_person(a)]
    for state, reason in (("revoked", RefusalReason.REVOKED), ("expired", RefusalReason.EXPIRED)):
        ended = [a for a in matching if a.state_at(at) == state]
        if ended:
            raise ContactRefused(reason, authorization_id=ended[-1].pk, contact_person_id=person_id)
    if any(covers_person(a) for a in current):
        raise ContactRefused(RefusalReason.CHANNEL_NOT_COVERED, contact_person_id=person_id)
    if current:
        raise ContactRefused(RefusalReason.PERSON_NOT_COVERED, contact_person_id=person_id)
    raise ContactRefused(RefusalReason.NO_AUTHORIZATION, contact_person_id=person_id)


def log_refusal(
    refused: ContactRefused,
    *,
    acting_user: User | None,
    ticket: Ticket,
    channel: str,
    stage: str,
    contact_person_id: int | None = None,
) -> None:
    """The refused attempt in the partner's audit log (R9.3); in its own transaction when there is none."""
    authorization = (
        ContactAuthorization.objects.filter(pk=refused.authorization_id).first() if refused.authorization_id else None
    )
    append_entry(
        partner=ticket.partner_id,
        action=AuditAction.CONTACT_REFUSED,
        actor=acting_user,
        ticket=ticket,
        end_customer=ticket.end_customer,
        authorization=authorization,
        channel=channel if channel in Channel.values else "",
        detail={
            "reason": refused.reason,
            "stage": stage,
            "contact_person": contact_person_id or refused.contact_person_id,
        },
    )


def authorize_contact(
    *,
    acting_user: User,
    ticket: Ticket,
    contact_person: ContactPerson | None,
    channel: str,
    at: datetime | None = None,
) -> ContactPermit:
    """Before acting: a permit for this contact, or ContactRefused (logged). See the module docstring."""
    at = at or timezone.now()
    try:
        authorization = _covering(
            acting_user=acting_user, ticket=ticket, contact_person=contact_person, channel=channel, at=at
        )
    except ContactRefused as refused:
        log_refusal(
            refused,
            acting_user=acting_user,
            ticket=ticket,
            channel=channel,
            stage="authorize",
            contact_person_id=contact_person.pk if contact_person is not None else None,
        )
        raise
    if contact_person is None:  # unreachable: _covering refuses a missing person
        raise ContactRefused(RefusalReason.PERSON_NOT_OF_CUSTOMER)
    return _issue(
        authorization_id=authorization.pk,
        ticket_id=ticket.pk,
        contact_person_id=contact_person.pk,
        channel=channel,
        acting_user_id=acting_user.pk,
        appear_as=authorization.appear_as,
        valid_until=authorization.valid_until,
        issued_at=at,
    )


@dataclass(frozen=True)
class ContactMoment:
    """What `act` gets inside `perform_contact`: the checked authorisation and the loaded objects."""

    authorization: ContactAuthorization
    ticket: Ticket
    acting_user: User
    contact_person: ContactPerson
    channel: str


def perform_contact(
    *,
    permit: ContactPermit,
    channel: str,
    act: Callable[[ContactMoment], T],
    describe: Callable[[T], dict[str, Any]] | None = None,
) -> T:
    """At the moment of acting: re-check the permit under the authorisation's row lock, run `act` and log the
    contact (with `describe(result)` in the row's detail), all in one transaction. `channel` is the channel
    the caller acts on; a permit for another channel is refused. A refusal (here or raised by `act`) rolls
    `act` back and is logged after the rollback."""
    ticket: Ticket | None = None
    acting_user: User | None = None
    try:
        with transaction.atomic():
            if not _seal_holds(permit):
                raise ContactRefused(RefusalReason.INVALID_PERMIT)
            if permit.channel != channel:
                raise ContactRefused(RefusalReason.CHANNEL_NOT_COVERED, authorization_id=permit.authorization_id)
            ticket = Ticket.objects.select_related("partner", "end_customer").get(pk=permit.ticket_id)
            # The chain's lock first, then the authorisations (the one lock order, audit.py).
            lock_chain(ticket.partner_id)
            acting_user = User.objects.get(pk=permit.acting_user_id)
            person = ContactPerson.objects.filter(pk=permit.contact_person_id).first()
            # The candidates are locked (in id order), so a revocation waits for this act or wins before it.
            authorization = _covering(
                acting_user=acting_user,
                ticket=ticket,
                contact_person=person,
                channel=permit.channel,
                at=timezone.now(),
                lock=True,
            )
            if authorization.pk != permit.authorization_id:
                own = ContactAuthorization.objects.get(pk=permit.authorization_id)
                state = own.state_at(timezone.now())
                reason = RefusalReason.REVOKED if state == "revoked" else RefusalReason.EXPIRED
                raise ContactRefused(reason, authorization_id=own.pk, contact_person_id=permit.contact_person_id)
            if person is None:  # unreachable: _covering refuses a missing person
                raise ContactRefused(RefusalReason.PERSON_NOT_OF_CUSTOMER)
            result = act(ContactMoment(authorization, ticket, acting_user, person, permit.channel))
            append_entry(
                partner=ticket.partner_id,
                action=AuditAction.CONTACT_MADE,
                actor=acting_user,
                ticket=ticket,
                end_customer=ticket.end_customer,
                authorization=authorization,
                channel=permit.channel,
                detail={
                    "contact_person": permit.contact_person_id,
                    "appear_as": authorization.appear_as,
                    **(describe(result) if describe is not None else {}),
                },
            )
            return result
    except ContactRefused as refused:
        if ticket is None:
            ticket = _ticket_of(permit)
        if ticket is not None:
            log_refusal(
                refused,
                acting_user=acting_user or _user_of(permit),
                ticket=ticket,
                channel=channel,
                stage="act",
                contact_person_id=_field(permit, "contact_person_id"),
            )
        raise


def _field(permit: Any, name: str) -> Any:
    try:
        return object.__getattribute__(permit, name)
    except AttributeError:
        return None


def _ticket_of(permit: Any) -> Ticket | None:
    ticket_id = _field(permit, "ticket_id")
    if not isinstance(ticket_id, int):
        return None
    return Ticket.objects.select_related("end_customer").filter(pk=ticket_id).first()


def _user_of(permit: Any) -> User | None:
    user_id = _field(permit, "acting_user_id")
    return User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None


def permit_is_current(permit: ContactPermit) -> bool:
    """For a delivery worker: does the permit's authorisation still cover it now? (no lock, no log)"""
    return _seal_holds(permit) and _still_covers(permit.authorization_id, permit.contact_person_id, permit.channel)


def _still_covers(authorization_id: int | None, contact_person_id: int | None, channel: str) -> bool:
    authorization = ContactAuthorization.objects.filter(pk=authorization_id).first()
    return bool(
        authorization is not None
        and authorization.is_current()
        and channel in authorization.channels
        and authorization.contact_persons.filter(pk=contact_person_id).exists()
    )
