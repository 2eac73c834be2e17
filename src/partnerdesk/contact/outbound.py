"""Outbound paths to end customers. Each takes a `ContactPermit` and acts only inside `gate.perform_contact`.

Today: mail from a ticket (`send_mail_to_end_customer`). Callbacks, web meetings and remote sessions (the
channels app) follow the same shape: `authorize_contact(..., channel=...)`, then `perform_contact`.
"""

from __future__ import annotations

import logging
from email.mime.image import MIMEImage
from email.utils import formataddr, make_msgid

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.masking import redact_for_vendor
from partnerdesk.accounts.validation import is_one_line, one_line
from partnerdesk.outbox.choices import Outcome
from partnerdesk.outbox.delivery import register_check, register_outcome
from partnerdesk.outbox.models import OutboxMessage
from partnerdesk.outbox.services import enqueue
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message

from . import locks
from .audit import append_entry, lock_chain
from .branding import LOGO_CID, effective_brand, render_end_customer
from .choices import AuditAction, Channel, RefusalReason
from .gate import ContactMoment, ContactPermit, ContactRefused, _still_covers, perform_contact
from .models import ContactAuthorization, EndCustomerMail

OUTBOX_KIND = "end_customer_mail"
REFERENCE_PREFIX = "contact.EndCustomerMail:"

logger = logging.getLogger(__name__)

MAX_SUBJECT = 250
MAX_BODY = 100_000


def _validate(subject: str, body: str) -> tuple[str, str]:
    subject, body = (subject or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = [_("This field is required.")]
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("Use one line of at most %(max)s characters.") % {"max": MAX_SUBJECT}]
    elif not is_one_line(subject):
        errors["subject"] = [_("Use one line without line breaks or other control characters.")]
    if not body:
        errors["body"] = [_("This field is required.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("Use at most %(max)s characters.") % {"max": MAX_BODY}]
    if errors:
        raise ValidationError(errors)
    return subject, body


def send_mail_to_end_customer(*, permit: ContactPermit, subject: str, body: str) -> EndCustomerMail:
    """The vendor writes to an end customer from a ticket (R9.3, R9.6).

    Re-checked at the moment of sending (`perform_contact`). Records the ticket message (contact data
    masked, visible to both sides) and the full mail (the partner's record), and writes it to the outbox, From
    the partner's brand when the partner chose "in the partner's name", else from the vendor's support
    address. Refused: nothing is recorded or sent, and the attempt is in the audit log.
    """
    subject, body = _validate(subject, body)

    def act(moment: ContactMoment) -> EndCustomerMail:
        person, ticket = moment.contact_person, moment.ticket
        if not person.email:
            raise ContactRefused(RefusalReason.NO_ADDRESS, contact_person_id=person.pk)
        brand = effective_brand(partner=ticket.partner, appear_as=moment.authorization.appear_as)
        if not brand.sender_email:
            raise ContactRefused(RefusalReason.NO_SENDER, authorization_id=moment.authorization.pk)
        message = Message.objects.create(
            ticket=ticket,
            kind=MessageKind.END_CUSTOMER,
            author=moment.acting_user,
            author_name=str(moment.acting_user),
            body=redact_for_vendor(f"{subject}\n\n{body}", end_customer=ticket.end_customer),
            shared_with_vendor=True,
        )
        mail = EndCustomerMail.objects.create(
            ticket=ticket,
            direction=EndCustomerMail.Direction.OUTBOUND,
            ticket_message=message,
            authorization=moment.authorization,
            contact_person=person,
            sent_by=moment.acting_user,
            appear_as=brand.appear_as,
            message_id=make_msgid(idstring=f"t{ticket.pk}", domain=brand.sender_domain or None),
            from_address=brand.sender,
            to_address=formataddr((one_line(person.name), person.email)),
            subject=subject,
            body=body,
            status=EndCustomerMail.Status.QUEUED,
        )
        # The mail leaves through the outbox; the gate is checked once more right before it is sent.
        enqueue(
            kind=OUTBOX_KIND,
            message=build_end_customer_mail(mail),
            reference=f"{REFERENCE_PREFIX}{mail.pk}",
            confidential=True,
        )
        return mail

    return perform_contact(
        permit=permit,
        channel=Channel.EMAIL,
        act=act,
        describe=lambda mail: {"mail": mail.pk, "message": mail.ticket_message_id},
    )


def build_end_customer_mail(mail: EndCustomerMail) -> EmailMultiAlternatives:
    """The mail as it leaves: text and HTML from the end-customer templates, with the brand's logo inline."""
    ticket = mail.ticket
    brand = effective_brand(partner=ticket.partner, appear_as=mail.appear_as)
    person = mail.contact_person
    values = {
        "subject": mail.subject,
        "body": mail.body,
        "greeting_name": person.name if person is not None else "",
    }
    text = render_end_customer("contact/end_customer/message.txt", brand=brand, **values)
    html = render_end_customer("contact/end_customer/message.html", brand=brand, logo_src=f"cid:{LOGO_CID}", **values)
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=text,
        from_email=mail.from_address,
        to=[mail.to_address],
        reply_to=[brand.sender_email],
        headers={"Message-ID": mail.message_id},
    )
    message.attach_alternative(html, "text/html")
    if brand.logo:
        message.mixed_subtype = "related"
        image = MIMEImage(brand.logo, _subtype=brand.logo_content_type.partition("/")[2] or "png")
        image.add_header("Content-ID", f"<{LOGO_CID}>")
        image.add_header("Content-Disposition", "inline", filename="logo")
        message.attach(image)
    return message


def _mail_of(row: OutboxMessage) -> EndCustomerMail:
    mail_id = int(row.reference.removeprefix(REFERENCE_PREFIX))
    return EndCustomerMail.objects.select_related("ticket__partner", "ticket__end_customer", "contact_person").get(
        pk=mail_id
    )


def check_before_sending(row: OutboxMessage) -> str | None:
    """The outbox's pre-send check (R9.3): runs in the sending transaction, right before SMTP.

    Under the chain's lock and the authorisation's row lock (the one lock order, audit.py) the authorisation
    is checked once more; the locks are held until the mail is handed over and its status and audit row are
    written (`record_outcome`, same transaction). A revocation therefore either commits first (the mail is
    refused) or waits until the mail is out and logged.
    """
    mail = _mail_of(row)
    lock_chain(mail.ticket.partner_id)
    list(locks.locked_authorizations(ContactAuthorization.objects.filter(pk=mail.authorization_id)))
    if not _still_covers(mail.authorization_id, mail.contact_person_id, Channel.EMAIL):
        return str(RefusalReason.REVOKED)
    return None


def record_outcome(row: OutboxMessage, outcome: str) -> None:
    """The outbox reports `sent`, `failed` or `refused`: the mail's status and its audit row (R9.4)."""
    mail = _mail_of(row)
    lock_chain(mail.ticket.partner_id)
    if outcome == Outcome.SENT:
        _record_delivery(mail, EndCustomerMail.Status.SENT, recorded_after=getattr(row, "recorded_after", ""))
    elif outcome == Outcome.REFUSED:
        _record_delivery(mail, EndCustomerMail.Status.REFUSED)
    else:
        # The error's kind only: the server's text can name the end customer's address.
        _record_delivery(mail, EndCustomerMail.Status.FAILED, error=row.last_error.partition(":")[0] or "failed")


def register_with_outbox() -> None:
    register_check(OUTBOX_KIND, check_before_sending)
    register_outcome(OUTBOX_KIND, record_outcome)


def _record_delivery(mail: EndCustomerMail, status: str, *, error: str = "", recorded_after: str = "") -> None:
    """The mail's status and its audit row, in the caller's transaction (which holds the chain's lock)."""
    ticket = mail.ticket
    EndCustomerMail.objects.filter(pk=mail.pk).update(
        status=status, delivered_at=timezone.now() if status == EndCustomerMail.Status.SENT else None
    )
    if status == EndCustomerMail.Status.REFUSED:
        action = AuditAction.CONTACT_REFUSED
        detail: dict[str, object] = {"reason": RefusalReason.REVOKED, "stage": "delivery"}
    elif status == EndCustomerMail.Status.SENT:
        action, detail = AuditAction.MAIL_DELIVERED, {}
    else:
        action, detail = AuditAction.MAIL_NOT_DELIVERED, {"error": error}
    if recorded_after:
        detail["recorded_after"] = recorded_after
    append_entry(
        partner=ticket.partner_id,
        action=action,
        actor=mail.sent_by,
        ticket=ticket,
        end_customer=ticket.end_customer,
        authorization=mail.authorization,
        channel=Channel.EMAIL,
        detail={"mail": mail.pk, "contact_person": mail.contact_person_id, **detail},
    )
