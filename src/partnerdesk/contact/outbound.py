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
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerdesk.accounts.masking import redact_for_vendor
from partnerdesk.accounts.validation import is_one_line, one_line
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Message

from .audit import append_entry
from .branding import LOGO_CID, effective_brand, render_end_customer
from .choices import AuditAction, Channel, RefusalReason
from .gate import ContactMoment, ContactPermit, ContactRefused, _still_covers, perform_contact
from .models import EndCustomerMail

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
    masked, visible to both sides) and the full mail (the partner's record), and sends after commit, From
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
        transaction.on_commit(lambda: deliver_mail(mail.pk))
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


def deliver_mail(mail_id: int) -> str:
    """Send one queued mail; checks the authorisation once more right before it leaves (a revocation after
    the commit still stops it). Returns the mail's new status. Used after commit (and by an outbox worker)."""
    mail = EndCustomerMail.objects.select_related("ticket__partner", "ticket__end_customer", "contact_person").get(
        pk=mail_id
    )
    if mail.status != EndCustomerMail.Status.QUEUED:
        return mail.status
    ticket = mail.ticket
    if not _still_covers(mail.authorization_id, mail.contact_person_id, Channel.EMAIL):
        with transaction.atomic():
            EndCustomerMail.objects.filter(pk=mail.pk).update(status=EndCustomerMail.Status.REFUSED)
            append_entry(
                partner=ticket.partner_id,
                action=AuditAction.CONTACT_REFUSED,
                actor=mail.sent_by,
                ticket=ticket,
                end_customer=ticket.end_customer,
                authorization=mail.authorization,
                channel=Channel.EMAIL,
                detail={
                    "reason": RefusalReason.REVOKED,
                    "stage": "delivery",
                    "mail": mail.pk,
                    "contact_person": mail.contact_person_id,
                },
            )
        return EndCustomerMail.Status.REFUSED
    try:
        build_end_customer_mail(mail).send()
    except Exception as error:  # a down mail server must not turn into a lost request
        logger.warning("mail %s to an end customer not delivered: %s", mail.pk, type(error).__name__)
        status, action, detail = EndCustomerMail.Status.FAILED, AuditAction.MAIL_NOT_DELIVERED, type(error).__name__
    else:
        status, action, detail = EndCustomerMail.Status.SENT, AuditAction.MAIL_DELIVERED, ""
    with transaction.atomic():
        EndCustomerMail.objects.filter(pk=mail.pk).update(
            status=status, delivered_at=timezone.now() if status == EndCustomerMail.Status.SENT else None
        )
        append_entry(
            partner=ticket.partner_id,
            action=action,
            actor=mail.sent_by,
            ticket=ticket,
            end_customer=ticket.end_customer,
            authorization=mail.authorization,
            channel=Channel.EMAIL,
            detail={"mail": mail.pk, "contact_person": mail.contact_person_id, **({"error": detail} if detail else {})},
        )
    return status
