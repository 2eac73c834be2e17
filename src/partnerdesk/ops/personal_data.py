"""Personal-data requests of an end customer's contact person (GDPR Art. 15 and 17; issue 17 item 7).

The partner is the controller of its end customers' data, so its admin asks. `export` gathers what the desk
stores about the person: the contact record, the mail exchanged with the person (end-customer mail, received
originals from the person's address, outbound messages to it), the appointments and meetings naming the person,
the authorisations covering the person, and the audit-log entries about those.

`erase` replaces every personal value by a neutral one (the row stays, so tickets, authorisations and the audit
chain keep their references); it never touches invoices (R10.3: they name partners, not contact persons, and stay
8 years) and never rewrites the audit log: its rows hold ids, codes and flags only (R9.4), so the chain still
verifies, and the erasure itself is appended to it as `personal_data_erased`, with the counts and no values.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, User
from partnerdesk.channels.models import Appointment, InboundMail, MeetingParticipant
from partnerdesk.contact import audit
from partnerdesk.contact.choices import AuditAction
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.outbox.models import OutboxMessage

ERASED = "[erased]"


def _may_ask(user: User, contact: ContactPerson) -> None:
    if not (user.has_role(Role.PARTNER_ADMIN) and user.partner_id == contact.end_customer.partner_id):
        raise PermissionDenied(_("Your role does not allow this action."))


def _address(contact: ContactPerson) -> str:
    return contact.email.strip().lower()


def _inbound(contact: ContactPerson) -> Any:
    address = _address(contact)
    if not address:
        return InboundMail.objects.none()
    return InboundMail.objects.filter(partner_id=contact.end_customer.partner_id, from_address__iexact=address)


def _outbound(contact: ContactPerson) -> Any:
    """Confidential outbox rows (mail to the person, or the partner's notices quoting the person's reply)
    that name the person's address, phone number or name."""
    needles = [v for v in (_address(contact), contact.phone.strip(), contact.name.strip()) if len(v) >= 5]
    if not needles:
        return OutboxMessage.objects.none()
    found = Q()
    for needle in needles:
        # `to` is a JSON list: its text form holds the address, as written or in "Name <address>".
        found |= Q(to__icontains=needle) | Q(subject__icontains=needle) | Q(body__icontains=needle)
    return OutboxMessage.objects.filter(found, confidential=True)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@transaction.atomic
def export(*, acting_user: User, contact: ContactPerson) -> dict[str, Any]:
    """Everything stored about the person, as JSON-ready data; the export is recorded in the audit log."""
    _may_ask(acting_user, contact)
    customer = contact.end_customer
    mails = EndCustomerMail.objects.filter(contact_person=contact).order_by("pk")
    appointments = Appointment.objects.filter(
        Q(contact_person=contact) | Q(participants__contact_person=contact)
    ).distinct()
    authorizations = contact.contact_authorizations.order_by("pk")
    entries = AuditEntry.objects.filter(
        Q(authorization__in=authorizations) | Q(detail__contact_person=contact.pk), partner_id=customer.partner_id
    ).order_by("seq")
    data = {
        "exported_at": timezone.now().isoformat(),
        "contact_person": {"id": contact.pk, "name": contact.name, "email": contact.email, "phone": contact.phone},
        "end_customer": {"id": customer.pk, "number": customer.number, "name": customer.name},
        "end_customer_mails": [
            {
                "id": m.pk,
                "direction": m.direction,
                "ticket": m.ticket_id,
                "from": m.from_address,
                "to": m.to_address,
                "subject": m.subject,
                "body": m.body,
                "status": m.status,
                "created_at": _iso(m.created_at),
            }
            for m in mails
        ],
        "received_mail": [
            {
                "id": m.pk,
                "received_at": _iso(m.received_at),
                "from_name": m.from_name,
                "from_address": m.from_address,
                "subject": m.subject,
                "text": m.text,
                "ticket": m.ticket_id,
                "original_size": len(bytes(m.raw or b"")),
            }
            for m in _inbound(contact).order_by("pk")
        ],
        "outbound_mail": [
            {"id": m.pk, "to": m.to, "subject": m.subject, "state": m.state, "created_at": _iso(m.created_at)}
            for m in _outbound(contact).order_by("pk")
        ],
        "appointments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "ticket": a.ticket_id,
                "phone": a.phone if a.contact_person_id == contact.pk else "",
                "starts_at": _iso(a.starts_at),
                "topic": a.topic,
            }
            for a in appointments.order_by("pk")
        ],
        "authorizations": [
            {"id": a.pk, "channels": a.channels, "valid_until": _iso(getattr(a, "valid_until", None))}
            for a in authorizations
        ],
        "audit_log": [
            {"seq": e.seq, "at": _iso(e.at), "action": e.action, "channel": e.channel, "detail": e.detail}
            for e in entries
        ],
    }
    audit.append_entry(
        partner=customer.partner_id,
        action=AuditAction.PERSONAL_DATA_EXPORTED,
        actor=acting_user,
        end_customer=customer,
        detail={"contact_person": contact.pk},
    )
    return data


@transaction.atomic
def erase(*, acting_user: User, contact: ContactPerson) -> dict[str, int]:
    """Replace the person's personal values everywhere they are stored; returns what was erased, per kind."""
    _may_ask(acting_user, contact)
    customer = contact.end_customer
    audit.lock_chain(customer.partner_id)  # the chain lock first (contact.audit's lock order)
    outbound = list(_outbound(contact).values_list("pk", "to"))
    address = _address(contact)
    to_person = [pk for pk, to in outbound if address and address in str(to).lower()]
    counts = {
        "end_customer_mails": EndCustomerMail.objects.filter(contact_person=contact).update(
            from_address=ERASED, to_address=ERASED, subject=ERASED, body=ERASED
        ),
        "received_mail": _inbound(contact).update(
            raw=b"",
            size=0,
            from_name="",
            from_address=ERASED,
            to=[],
            subject=ERASED,
            text=ERASED,
            new_text=ERASED,
            html="",
            attachment_names=[],
            detail="",
        ),
        "outbound_mail": OutboxMessage.objects.filter(pk__in=to_person).update(
            to=[ERASED], cc=[], bcc=[], reply_to=[], subject=ERASED, body=ERASED, html="", attachments=[]
        )
        # Notices to the partner's staff quoting the person keep their recipients, lose their text.
        + OutboxMessage.objects.filter(pk__in=[pk for pk, _to in outbound if pk not in to_person]).update(
            subject=ERASED, body=ERASED, html="", attachments=[]
        ),
        "appointments": Appointment.objects.filter(contact_person=contact).update(phone=""),
        "meetings": MeetingParticipant.objects.filter(contact_person=contact).count(),
    }
    # Mail to the person not yet handed to the server is not sent any more: its recipient is gone.
    OutboxMessage.objects.filter(to=[ERASED], state__in=["queued", "retrying"]).update(
        state="failed", last_error="erased: the recipient's personal data was erased", next_attempt_at=None
    )
    ContactPerson.objects.filter(pk=contact.pk).update(name=ERASED, email="", phone="")
    counts["contact_person"] = 1
    audit.append_entry(
        partner=customer.partner_id,
        action=AuditAction.PERSONAL_DATA_ERASED,
        actor=acting_user,
        end_customer=customer,
        detail={"contact_person": contact.pk, "erased": counts},
    )
    return counts
