"""Demo inbound mail (`partnerdesk demo`): a partner's answer by mail on the escalated demo ticket (with its
original), and one mail from an unknown sender waiting in the partner's inbox. Idempotent by Message-ID."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User
from partnerdesk.tickets.models import Ticket

from .addresses import reply_address
from .inbound import receive

OUTLOOK_QUOTE = """

Mit freundlichen Grüßen
{name}

Von: Support
Gesendet: {date}
Betreff: AW: [#{ticket}] Admin login slow after 4.2.1

Thank you. Please send the nginx error log from both nodes.
"""


def _mail(*, message_id: str, sender: str, to: str, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(timezone.now())
    message.set_content(body)
    return message.as_bytes()


def load_inbound(world: Any) -> None:
    ticket = Ticket.objects.filter(subject="Admin login slow after 4.2.1").first()
    if ticket is None:
        return
    l1 = User.objects.filter(partner_id=ticket.partner_id, role=Role.L1_AGENT, is_active=True).first()
    if l1 is None:
        return
    name = l1.full_name or l1.email
    receive(
        _mail(
            message_id="<demo-reply-logs@partner.example>",
            sender=f"{name} <{l1.email}>",
            to=reply_address(ticket.pk),
            subject=f"AW: [#{ticket.pk}] Admin login slow after 4.2.1",
            body="Hallo, die Logs beider Knoten liegen jetzt im Ticket; der Fehler tritt täglich gegen 6 Uhr auf."
            + OUTLOOK_QUOTE.format(name=name, date=format_datetime(timezone.now()), ticket=ticket.pk),
        )
    )
    receive(
        _mail(
            message_id="<demo-unknown-sender@customer.example>",
            sender="IT-Leitung <it@kunde-unbekannt.example>",
            to=reply_address(ticket.pk),
            subject=f"[#{ticket.pk}] Stand der Dinge?",
            body="Guten Tag, gibt es zu dem Login-Problem schon Neuigkeiten?",
        )
    )
