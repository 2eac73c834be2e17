"""R9.3 by construction: a ContactPermit only comes from the gate; a made-up or altered one is refused and logged;
the only code that may hand mail to Django is known."""

from __future__ import annotations

import ast
import copy
import pickle
from pathlib import Path

import pytest

from partnerdesk.contact.choices import AuditAction, Channel, RefusalReason
from partnerdesk.contact.gate import ContactPermit, ContactRefused, authorize_contact
from partnerdesk.contact.models import AuditEntry, EndCustomerMail
from partnerdesk.contact.outbound import send_mail_to_end_customer

SRC = Path(__file__).resolve().parents[2] / "src" / "partnerdesk"


def _permit(cw):
    cw.grant()
    return authorize_contact(acting_user=cw.agent, ticket=cw.ticket, contact_person=cw.person, channel=Channel.EMAIL)


def test_r9_3_a_permit_cannot_be_constructed_changed_copied_or_pickled(contact_world):
    with pytest.raises(TypeError, match="issued only by"):
        ContactPermit(authorization_id=1, ticket_id=1, contact_person_id=1, channel="email")
    permit = _permit(contact_world)
    with pytest.raises(AttributeError):
        permit.contact_person_id = contact_world.colleague.pk
    with pytest.raises(TypeError):
        copy.copy(permit)
    with pytest.raises(TypeError):
        pickle.dumps(permit)


def test_r9_3_a_forged_permit_is_refused_and_logged(contact_world, smtp_server, django_capture_on_commit_callbacks):
    genuine = _permit(contact_world)
    forged = object.__new__(ContactPermit)
    for name in ContactPermit.__slots__:
        object.__setattr__(forged, name, object.__getattribute__(genuine, name))
    # Redirect the genuine permit to a person the partner did not authorise: the seal no longer matches.
    object.__setattr__(forged, "contact_person_id", contact_world.colleague.pk)
    with pytest.raises(ContactRefused) as refused, django_capture_on_commit_callbacks(execute=True):
        send_mail_to_end_customer(permit=forged, subject="Hi", body="Hello")
    assert refused.value.reason == RefusalReason.INVALID_PERMIT
    assert smtp_server.envelopes == [] and not EndCustomerMail.objects.exists()
    row = AuditEntry.objects.get(action=AuditAction.CONTACT_REFUSED)
    assert row.detail == {"reason": "invalid_permit", "stage": "act", "contact_person": contact_world.colleague.pk}


def test_r9_3_something_that_is_not_a_permit_is_refused(contact_world):
    with pytest.raises(ContactRefused) as refused:
        send_mail_to_end_customer(permit=object(), subject="Hi", body="Hello")  # type: ignore[arg-type]
    assert refused.value.reason == RefusalReason.INVALID_PERMIT


SENDING_API = {"send_mail", "send_mass_mail", "get_connection", "mail_admins", "mail_managers"}
# The one module that hands mail to Django's mail backends: the outbox worker (ARCHITECTURE 19).
MAIL_SENDERS = {"outbox/delivery.py": "the outbox worker: every mail, after the producer's pre-send check"}
# Every module that builds a mail (an EmailMessage for the outbox), and to whom it writes. Only contact.outbound
# may address an end customer, and only with a permit. A new one fails this test until someone has checked it.
MAIL_BUILDERS = {
    "contact/outbound.py": "end customers: only inside gate.perform_contact, with a ContactPermit",
    "contact/services.py": "the partner's administrators, about an end customer's reply",
    "contracts/services.py": "Sales: requests for an individual contract",
    "contracts/mail.py": "the contracts app's outbox writer (the request above)",
    "channels/notifications.py": "partner users and vendor staff (never end customers): ticket notices, "
    + "included-time thresholds (partner admins, Sales), service levels at risk",
    "channels/user_invitations.py": "users (partner staff and vendor staff, never end customers): invitations and "
    + "set-password links",
    "billing/delivery.py": "the partner's invoice address (never an end customer): issued invoices",
    "channels/invitations.py": "web-meeting invitations: partner and vendor users; an end customer only when "
    + "channels.appointments calls it inside gate.perform_contact (channel web meeting)",
    "outbox/services.py": "reads the producers' messages into outbox rows",
    "outbox/delivery.py": "builds the stored rows again to send them",
}


def _mail_imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.core.mail":
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.Import) and any(a.name == "django.core.mail" for a in node.names):
            names.add("*")
    return names


def test_r9_3_every_module_that_sends_mail_is_known():
    senders, builders, send_calls = set(), set(), set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _mail_imports(tree)
        if imported & (SENDING_API | {"*"}):
            senders.add(name)
        if imported:
            builders.add(name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in {"send", "send_messages"}:
                if imported or name.startswith("outbox/"):
                    send_calls.add(name)
    assert senders == set(MAIL_SENDERS), "only the outbox worker hands mail to Django's backends"
    assert send_calls <= set(MAIL_SENDERS), "a module sends mail itself instead of writing it to the outbox"
    assert builders - set(MAIL_BUILDERS) == set(), "a new module builds mail: check its recipients, then list it"
    assert "contact/outbound.py" in builders
