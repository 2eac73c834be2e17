"""After an invoice is issued: render its documents, store them, and mail them to the partner (R10.5, R10.6).

The worker's job `billing.deliver_documents` takes issued invoices without stored documents. Rendering (the
PDF takes a while) happens outside any transaction; storing the files and enqueuing the mail then commit
together, so an invoice is mailed once with exactly the stored bytes. A second worker rendering the same
invoice at the same time loses at the unique (invoice, kind) and writes nothing.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from partnerdesk.outbox.services import enqueue

from .cii import cii_xml
from .document_data import document_of
from .models import Invoice, InvoiceFile, PartnerBillingProfile
from .pdf import facturx_pdf

logger = logging.getLogger(__name__)

MAIL_KIND = "invoice"


def render(invoice: Invoice) -> dict[str, bytes]:
    """The documents of the invoice, made from its snapshot only: the Factur-X PDF and the XRechnung XML."""
    document = document_of(invoice)
    return {
        InvoiceFile.Kind.PDF: facturx_pdf(document),
        InvoiceFile.Kind.XRECHNUNG: cii_xml(document, profile="xrechnung"),
    }


def stored_file(invoice: Invoice, kind: str) -> InvoiceFile:
    """The stored document, rendered and stored now when the worker has not got to it yet."""
    found = InvoiceFile.objects.filter(invoice=invoice, kind=kind).select_related("invoice").first()
    if found is not None:
        return found
    deliver(invoice)
    return InvoiceFile.objects.select_related("invoice").get(invoice=invoice, kind=kind)


def deliver(invoice: Invoice) -> bool:
    """Render, store and mail one invoice; False when another worker did it first (nothing written)."""
    rendered = render(invoice)
    try:
        with transaction.atomic():
            files = [
                InvoiceFile.objects.create(
                    invoice=invoice, kind=kind, content=content, sha256=hashlib.sha256(content).hexdigest()
                )
                for kind, content in rendered.items()
            ]
            _enqueue_mail(invoice, files)
    except IntegrityError:
        return False
    return True


def _enqueue_mail(invoice: Invoice, files: list[InvoiceFile]) -> None:
    """The mail to the partner's invoice address, in the invoice's language: the Factur-X PDF, and the
    XRechnung file where the partner asked for it (its billing data)."""
    address = str(invoice.buyer.get("email") or "")
    profile = PartnerBillingProfile.objects.filter(partner_id=invoice.partner_id).first()
    if not (profile is not None and profile.wants_xrechnung):
        files = [file for file in files if file.kind == InvoiceFile.Kind.PDF]
    if not address:
        logger.warning("invoice %s has no invoice address; stored, not mailed", invoice.number)
        return
    cancellation = invoice.preceding_id is not None
    with translation.override(invoice.language or "de"):
        values = {"number": invoice.number, "seller": invoice.seller.get("name", "")}
        subject = (_("Cancellation invoice %(number)s") if cancellation else _("Invoice %(number)s")) % values
        if len(files) > 1:
            body = _(
                "Dear Sir or Madam,\n\nattached is invoice %(number)s as a PDF (ZUGFeRD/Factur-X: the machine-readable "
                "invoice is embedded) and as an XRechnung file.\n\nKind regards\n%(seller)s"
            )
        else:
            body = _(
                "Dear Sir or Madam,\n\nattached is invoice %(number)s as a PDF (ZUGFeRD/Factur-X: the machine-readable "
                "invoice is embedded).\n\nKind regards\n%(seller)s"
            )
        body = body % values
    message = EmailMessage(subject=subject, body=body, to=[address])
    for file in files:
        message.attach(file.filename, bytes(file.content), file.content_type)
    enqueue(kind=MAIL_KIND, message=message, reference=f"billing.Invoice:{invoice.pk}")


def deliver_pending(*, limit: int = 20) -> int:
    """The worker's job: issued invoices without documents, oldest first; returns how many were delivered."""
    pending = Invoice.objects.filter(files__isnull=True).select_related("partner", "preceding").order_by("pk")[:limit]
    done = 0
    for invoice in pending:
        try:
            done += deliver(invoice)
        except Exception:  # one broken invoice must not stop the others; it is tried again next round
            logger.exception("documents of invoice %s could not be made", invoice.number)
    return done
