"""Every read of contact data that depends on who asks; the only place that filters it by tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.tickets.models import Ticket
from partnerdesk.tickets.selectors import tickets_visible_to

from .audit import append_entry, lock_chain
from .choices import CONTACT_ROLES, FIELDS_FOR_CHANNEL, AuditAction, Channel
from .models import AuditEntry, ContactAuthorization, EndCustomerMail


def authorizations_visible_to(user: User) -> QuerySet[ContactAuthorization]:
    """Partner users see their partner's; the vendor's support staff those for tickets it may see (or for all
    tickets of an end customer); other vendor roles none."""
    queryset = ContactAuthorization.objects.select_related(
        "end_customer__partner", "ticket", "granted_by"
    ).prefetch_related(Prefetch("contact_persons", queryset=ContactPerson.objects.order_by("pk")))
    if not user.is_active:
        return queryset.none()
    if user.is_partner:
        return queryset.filter(partner_id=user.partner_id)
    if user.role not in CONTACT_ROLES:
        return queryset.none()
    visible = tickets_visible_to(user)
    # For all tickets of an end customer: only once the vendor may see one of that end customer's tickets.
    return queryset.filter(
        Q(ticket__in=visible.values("pk"))
        | Q(ticket__isnull=True, end_customer_id__in=visible.values("end_customer_id"))
    )


def current_authorizations_for(ticket: Ticket, *, at: datetime | None = None) -> QuerySet[ContactAuthorization]:
    at = at or timezone.now()
    return (
        ContactAuthorization.objects.filter(
            Q(ticket__isnull=True) | Q(ticket_id=ticket.pk),
            partner_id=ticket.partner_id,
            end_customer_id=ticket.end_customer_id,
            revoked_at__isnull=True,
            valid_until__gt=at,
            granted_at__lte=at,
        )
        .prefetch_related(Prefetch("contact_persons", queryset=ContactPerson.objects.order_by("pk")))
        .order_by("pk")
    )


@dataclass
class ShownContact:
    """A contact person as one asker may see them: the vendor gets only what a covered channel needs."""

    id: int
    name: str
    email: str
    phone: str
    channels: list[str] = field(default_factory=list)
    valid_until: datetime | None = None
    appear_as: str = ""
    authorization_ids: list[int] = field(default_factory=list)


def contacts_shown_to(user: User, ticket: Ticket, *, via: str) -> list[ShownContact]:
    """The ticket's contact persons as `user` may see them (R9.1), with the reveal logged (R9.4).

    Partner users see all persons of their end customer. Vendor support staff see only persons covered
    by a current authorisation for this ticket, and only the data their covered channels need; each time
    that happens an audit row records who saw which fields of whom (`via`: "api", "page", ...).
    Call it with a ticket the user may see (resolved through `tickets_visible_to`).
    """
    if user.is_partner:
        if user.partner_id != ticket.partner_id:
            return []
        persons = ContactPerson.objects.filter(end_customer_id=ticket.end_customer_id).order_by("pk")
        return [ShownContact(p.pk, p.name, p.email, p.phone, channels=list(Channel.values)) for p in persons]
    if not user.is_active or user.role not in CONTACT_ROLES:
        return []
    if not tickets_visible_to(user).filter(pk=ticket.pk).exists():
        return []
    with transaction.atomic():
        # The chain's lock before reading the authorisations: a revocation committed before is seen, and the
        # reveal's row follows it in the chain (the one lock order, audit.py).
        lock_chain(ticket.partner_id)
        return _reveal_to_vendor(user, ticket, via=via)


def _reveal_to_vendor(user: User, ticket: Ticket, *, via: str) -> list[ShownContact]:
    shown: dict[int, ShownContact] = {}
    persons_by_id: dict[int, ContactPerson] = {}
    for authorization in current_authorizations_for(ticket):
        for person in authorization.contact_persons.all():
            persons_by_id[person.pk] = person
            entry = shown.setdefault(person.pk, ShownContact(person.pk, person.name, "", ""))
            entry.channels = sorted(set(entry.channels) | set(authorization.channels))
            entry.authorization_ids.append(authorization.pk)
            if entry.valid_until is None or authorization.valid_until > entry.valid_until:
                entry.valid_until, entry.appear_as = authorization.valid_until, authorization.appear_as
    revealed = []
    for entry in shown.values():
        person = persons_by_id[entry.id]
        fields = {"name"} | {f for c in entry.channels for f in FIELDS_FOR_CHANNEL.get(c, ())}
        entry.email = person.email if "email" in fields else ""
        entry.phone = person.phone if "phone" in fields else ""
        revealed.append(
            {"contact_person": entry.id, "fields": sorted(fields), "authorizations": entry.authorization_ids}
        )
    if revealed:
        append_entry(
            partner=ticket.partner_id,
            action=AuditAction.CONTACT_DATA_REVEALED,
            actor=user,
            ticket=ticket,
            end_customer=ticket.end_customer,
            detail={"via": via, "persons": revealed},
        )
    return sorted(shown.values(), key=lambda c: c.id)


def contact_person_of_ticket(ticket: Ticket) -> QuerySet[ContactPerson]:
    """Where a contact person id named for a ticket is resolved: persons of the ticket's end customer.

    Anything else is answered like a missing object (404); whether the vendor may contact the person is
    the gate's question, whose refusal is logged."""
    return ContactPerson.objects.filter(end_customer_id=ticket.end_customer_id)


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    """The partner reads its own log (R9.4); the vendor's administrator reads every partner's."""
    queryset = AuditEntry.objects.select_related("partner", "end_customer__partner").order_by("-at", "-pk")
    if not user.is_active:
        return queryset.none()
    if user.is_partner:
        return queryset.filter(partner_id=user.partner_id)
    if user.role == Role.VENDOR_ADMIN:
        return queryset
    return queryset.none()


def end_customer_mails_visible_to(user: User, ticket: Ticket) -> QuerySet[EndCustomerMail]:
    """The record of mail with the end customer: the partner's (full addresses); the vendor sees its status
    through the API's own schema, never the addresses."""
    queryset = EndCustomerMail.objects.filter(ticket=ticket).order_by("created_at", "pk")
    if not user.is_active:
        return queryset.none()
    if user.is_partner and user.partner_id == ticket.partner_id:
        return queryset
    if user.is_vendor and user.role in CONTACT_ROLES and tickets_visible_to(user).filter(pk=ticket.pk).exists():
        return queryset.filter(direction=EndCustomerMail.Direction.OUTBOUND)
    return queryset.none()
