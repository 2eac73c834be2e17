"""The leak test (R9.1, R9.6). It discovers what it checks, so that new templates and routes are covered:

- End-customer side: every template under `templates/<app>/end_customer/` in any template directory (the
  convention in partnerdesk.contact.branding) is rendered with a white-label partner's brand; neither the
  vendor's name nor any of its domains may appear.
- Vendor side: every GET operation of the OpenAPI document and every page of the URL resolver is called as
  each vendor role, with the ids of a world in which a white-label partner's end customer was written to,
  answered, and had its authorisation revoked; no contact person's name, e-mail or phone may appear unless
  a current authorisation covers that person for a ticket the asker may see (and the asker's role may
  contact end customers at all), and no unrevealed end-customer name.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.db.models import CharField, TextField
from django.template import engines
from django.test import Client, override_settings
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import ContactPerson, Vendor
from partnerdesk.contact import services
from partnerdesk.contact.branding import effective_brand, render_end_customer
from partnerdesk.contact.choices import CONTACT_ROLES, AppearAs, Channel
from partnerdesk.contact.gate import authorize_contact
from partnerdesk.contact.models import ContactAuthorization
from partnerdesk.contact.outbound import send_mail_to_end_customer
from partnerdesk.contact.selectors import contacts_shown_to
from partnerdesk.tickets import services as ticket_services
from partnerdesk.tickets.choices import MessageKind
from partnerdesk.tickets.models import Attachment, Message, Ticket, TicketTransition
from partnerdesk.tickets.selectors import tickets_visible_to
from tests import isolation
from tests.factories import ContactPersonFactory

from .conftest import install_vendor, white_label

VENDOR_ROLES = [Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER]


# --- end-customer side ------------------------------------------------------------------------------


def end_customer_templates() -> list[str]:
    """Every template an end customer can see: `<app>/end_customer/...` in any template directory."""
    names: set[str] = set()
    for engine in engines.all():
        for directory in engine.template_dirs:
            root = Path(directory)
            names.update(p.relative_to(root).as_posix() for p in root.glob("*/end_customer/**/*") if p.is_file())
    return sorted(names)


def vendor_markers(vendor: Vendor) -> list[str]:
    """The vendor's name and domains, from its record and from the settings that name it."""
    addresses = [
        vendor.support_email,
        vendor.sales_email,
        settings.DEFAULT_FROM_EMAIL,
        settings.PARTNERDESK_SALES_EMAIL,
    ]
    domains = [d.strip() for d in vendor.domains.split(",") if d.strip()]
    domains += [a.rpartition("@")[2] for a in addresses if "@" in a]
    labels = [d.split(".")[-2] for d in domains if d.count(".") >= 1]  # "groupios" of groupios.com
    markers = [vendor.name, vendor.legal_name, settings.PARTNERDESK_VENDOR_NAME, *domains, *labels]
    return sorted({m.lower() for m in markers if m and len(m) >= 4})


SAMPLE = {
    "subject": "Ihr VPN-Tunnel",
    "body": "Bitte starten Sie den Dienst neu.",
    "greeting_name": "Erika Muster",
}


def vendor_leaks_in_end_customer_templates(names: list[str], brand: Any, markers: list[str]) -> list[str]:
    problems = []
    for name in names:
        text = render_end_customer(name, brand=brand, logo_src="cid:brand-logo", **SAMPLE).lower()
        problems += [f"{name}: shows {marker!r}" for marker in markers if marker in text]
    return problems


@pytest.mark.django_db
def test_r9_6_every_end_customer_template_carries_only_the_partners_brand(world):
    vendor = install_vendor()
    white_label(world.partner_a)
    names = end_customer_templates()
    assert {"contact/end_customer/message.html", "contact/end_customer/message.txt"} <= set(names)
    brand = effective_brand(partner=world.partner_a, appear_as=AppearAs.PARTNER)
    markers = vendor_markers(vendor)
    assert {"tuxguard", "groupios", "groupios.com", "groupios.example"} <= set(markers)
    assert vendor_leaks_in_end_customer_templates(names, brand, markers) == []
    for name in names:  # and the partner's brand is really there
        assert "Nordlicht IT" in render_end_customer(name, brand=brand, **SAMPLE)


@pytest.mark.django_db
def test_r9_6_the_template_check_finds_a_new_template_that_leaks(world, tmp_path):
    """A template added later in another app's end_customer/ directory is found and its leak reported."""
    vendor = install_vendor()
    white_label(world.partner_a)
    leaky = tmp_path / "billing" / "end_customer" / "invoice_mail.txt"
    leaky.parent.mkdir(parents=True)
    leaky.write_text("{{ brand.name }} – payable to TUXGUARD GmbH, www.groupios.com", encoding="utf-8")
    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    with override_settings(TEMPLATES=templates):
        names = end_customer_templates()
        assert "billing/end_customer/invoice_mail.txt" in names
        brand = effective_brand(partner=world.partner_a, appear_as=AppearAs.PARTNER)
        problems = vendor_leaks_in_end_customer_templates(names, brand, vendor_markers(vendor))
    assert any("invoice_mail.txt" in p and "tuxguard" in p for p in problems)


# --- vendor side ------------------------------------------------------------------------------------


def build_leak_world(world: Any, capture: Any) -> Ticket:
    """On the ticket the isolation world uses for partner A: correspondence with a person whose authorisation
    was later revoked, a person never authorised, one authorised now; all with white-label branding."""
    for extend in isolation.WORLD_EXTENSIONS:
        extend(world)
    install_vendor()
    white_label(world.partner_a)
    agent, partner_user = world.user(Role.L2_AGENT), world.user(Role.L1_AGENT)
    ticket = Ticket.objects.get(pk=isolation.ID_KINDS["ticket_id"].own(world, agent))
    customer = ticket.end_customer
    former = ContactPersonFactory(
        end_customer=customer, name="Henrike Sørensen", email="h.soerensen@kunde-a.example", phone="+49 40 7770111"
    )
    ContactPersonFactory(
        end_customer=customer, name="Bodo Brinkhaus", email="bodo@kunde-a.example", phone="040 7770222"
    )
    ContactPersonFactory(end_customer=customer, name="Ute Carstensen", email="ute@kunde-a.example", phone="040 7770333")
    current = ContactPerson.objects.get(name="Ute Carstensen")
    until = timezone.now() + timedelta(days=3)
    authorization = services.grant_authorization(
        acting_user=partner_user,
        end_customer=customer,
        ticket=ticket,
        channels=[Channel.EMAIL, Channel.CALL],
        contact_persons=[former],
        valid_until=until,
        appear_as=AppearAs.PARTNER,
    )
    contacts_shown_to(agent, ticket, via="api")
    permit = authorize_contact(acting_user=agent, ticket=ticket, contact_person=former, channel=Channel.EMAIL)
    with capture(execute=True):
        mail = send_mail_to_end_customer(
            permit=permit,
            subject=f"Rückruf für {former.name}",
            body=f"Guten Tag {former.name}, ich rufe Sie unter {former.phone} an ({former.email}).",
        )
        services.record_end_customer_reply(
            ticket=ticket,
            from_address=f"{former.name} <{former.email}>",
            subject=f"Re: Rückruf für {former.name}",
            body=f"Passt.\n\n{former.name}\nTel.: +49 (40) 777-0111\n{customer.name}",
            message_id="<reply-1@kunde-a.example>",
            in_reply_to=mail.message_id,
        )
    services.revoke_authorization(acting_user=partner_user, authorization=authorization)
    services.grant_authorization(
        acting_user=partner_user,
        end_customer=customer,
        ticket=ticket,
        channels=[Channel.CALL],
        contact_persons=[current],
        valid_until=until,
        appear_as=AppearAs.VENDOR,
    )
    plant_contact_data(ticket, partner_user)
    return ticket


def plant_contact_data(ticket: Ticket, partner_user: Any) -> None:
    """A partner who writes the persons' names, e-mails and phones and the organisation's name into every text
    field it can write (R9.1): subject, every capture field, an escalation note, a hand-back and a reopening
    reason (history notes), a thread message, a shared end-customer letter, and attachments' file names."""
    persons = list(ContactPerson.objects.filter(end_customer=ticket.end_customer))
    planted = " · ".join(
        [ticket.end_customer.name, *(f"{p.name} <{p.email}> {p.phone} {p.name.upper()}" for p in persons)]
    )
    one_line = f"{persons[0].name} {ticket.end_customer.name} {persons[0].email}"
    # Every free text field of the ticket (the subject apart): found from the model, so new ones count too.
    free_text = [
        f.name
        for f in Ticket._meta.get_fields()
        if isinstance(f, CharField | TextField) and not f.choices and f.name != "subject"
    ]
    assert {"description", "error_messages", "tried_by_first_level"} <= set(free_text)
    Ticket.objects.filter(pk=ticket.pk).update(
        subject=one_line[:200], **{f: planted[: Ticket._meta.get_field(f).max_length or None] for f in free_text}
    )
    ticket.refresh_from_db()
    for reason, note in (("escalated", f"Eskalation: {planted}"), ("answered", f"Rückgabe: {planted}")):
        TicketTransition.objects.create(
            ticket=ticket,
            actor=partner_user,
            from_state=ticket.state,
            to_state=ticket.state,
            from_level=ticket.level,
            to_level=ticket.level,
            reason=reason,
            note=note,
        )
    ticket_services.post_message(acting_user=partner_user, ticket=ticket, kind=MessageKind.THREAD, body=planted)
    Message.objects.filter(ticket=ticket, kind=MessageKind.END_CUSTOMER, shared_with_vendor=False).update(
        body=planted, author_name=persons[0].name, shared_with_vendor=True
    )
    for attachment in Attachment.objects.filter(ticket=ticket):
        Attachment.objects.filter(pk=attachment.pk).update(filename=f"{persons[0].name} {persons[0].email}.txt")


def contact_markers(user: Any) -> list[str]:
    """Contact data `user` must not see anywhere: every person not covered by a current authorisation for a
    ticket the user may see (all persons for roles that never contact end customers), and unrevealed names."""
    allowed: set[int] = set()
    if user.role in CONTACT_ROLES:
        now = timezone.now()
        visible = tickets_visible_to(user).values("pk")
        for authorization in ContactAuthorization.objects.filter(revoked_at__isnull=True, valid_until__gt=now):
            if authorization.ticket_id is None or tickets_visible_to(user).filter(pk=authorization.ticket_id).exists():
                allowed |= set(authorization.contact_persons.values_list("pk", flat=True))
        del visible
    markers = []
    for person in ContactPerson.objects.select_related("end_customer").exclude(pk__in=allowed):
        markers += [person.name, person.email, person.phone]
        markers += [p for p in person.name.split() if len(p) >= 5]
    from partnerdesk.accounts.models import EndCustomer

    markers += [c.name for c in EndCustomer.objects.filter(name_revealed=False)]
    return sorted({m.lower() for m in markers if m})


def _fill(path: str, world: Any, user: Any) -> str | None:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in isolation.ID_KINDS:
            raise LookupError(name)
        return str(isolation.ID_KINDS[name].own(world, user))

    return re.sub(r"{(\w+)}", value, path)


def _text(response: Any) -> str:
    """The response as a reader sees it: JSON without \\u escapes, HTML without entities, and the file name a
    download names (Content-Disposition, percent-decoded)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        text = json.dumps(json.loads(text), ensure_ascii=False)
    disposition = unquote(response.get("Content-Disposition", ""))
    return (html.unescape(text) + "\n" + disposition).lower()


def test_r9_1_no_vendor_response_shows_unauthorised_contact_data(world, django_capture_on_commit_callbacks):
    build_leak_world(world, django_capture_on_commit_callbacks)
    document = json.loads(Client().get("/api/v1/openapi.json").content)
    routes = [r for r in isolation.api_routes(document) if r.method == "GET"] + isolation.page_routes()
    routes = [
        r
        for r in routes
        if r.path not in isolation.PUBLIC_ROUTES and not any(r.path.startswith(p) for p in isolation.EXCLUDED_PREFIXES)
    ]
    assert any(r.path == "/api/v1/tickets/{ticket_id}/messages" for r in routes)
    assert any(r.path == "/api/v1/audit-log/export" for r in routes)
    findings, called = [], 0
    for role in VENDOR_ROLES:
        user = world.user(role)
        markers = contact_markers(user)
        assert "henrike sørensen" in markers and "bodo@kunde-a.example" in markers
        api, pages = (
            Client(HTTP_AUTHORIZATION=f"Bearer {isolation.create_api_token(acting_user=user, name='leak')[1]}"),
            Client(),
        )
        pages.force_login(user)
        for route in routes:
            try:
                url = _fill(route.path, world, user)
            except LookupError as unknown:
                findings.append(f"{route.path}: no id for {unknown} in tests/isolation.py ID_KINDS")
                continue
            response = (api if route.kind == "api" else pages).get(url)
            called += 1
            if response.status_code >= 500:
                findings.append(f"{url} as {role}: server error")
                continue
            text = _text(response)
            findings += [f"{url} as {role}: shows {m!r}" for m in markers if m in text]
    assert findings == [], "\n".join(findings)
    assert called >= len(routes) * len(VENDOR_ROLES)
    # The walk reached the planted fields (so masking, not absence, kept them out).
    l2 = Client()
    l2.force_login(world.user(Role.L2_AGENT))
    ticket = Ticket.objects.get(pk=isolation.ID_KINDS["ticket_id"].own(world, world.user(Role.L2_AGENT)))
    page = _text(l2.get(f"/tickets/{ticket.pk}/"))
    assert "eskalation:" in page and "rückgabe:" in page and "[name]" in page and "[e-mail]" in page


def test_r9_1_the_vendor_check_would_see_a_leak(world, django_capture_on_commit_callbacks):
    """The markers really are what an unmasked response would contain (guards the test against itself)."""
    ticket = build_leak_world(world, django_capture_on_commit_callbacks)
    partner = Client(
        HTTP_AUTHORIZATION=f"Bearer {isolation.create_api_token(acting_user=world.user(Role.L1_AGENT), name='x')[1]}"
    )
    text = _text(partner.get(f"/api/v1/tickets/{ticket.pk}/contacts"))
    markers = contact_markers(world.user(Role.L2_AGENT))
    assert "henrike sørensen" in text and "h.soerensen@kunde-a.example" in text and "bodo brinkhaus" in text
    assert {"henrike sørensen", "h.soerensen@kunde-a.example", "+49 40 7770111", "bodo brinkhaus"} <= set(markers)
    # and the authorised person is visible to L2, so she is not a marker for L2, but is one for Sales
    assert "ute carstensen" not in markers and "ute carstensen" in contact_markers(world.user(Role.SALES))


def test_r9_1_every_free_text_field_of_a_ticket_is_in_the_vendors_rendering_path():
    """A text field added to a ticket, message, attachment or history row later is masked for the vendor or
    this test names it (tickets.selectors.SHOWN_TEXT_FIELDS is the one list)."""
    from partnerdesk.tickets.selectors import SHOWN_TEXT_FIELDS

    missing = [
        f"{model.__name__}.{f.name}"
        for model in (Ticket, Message, Attachment, TicketTransition)
        for f in model._meta.get_fields()
        if isinstance(f, CharField | TextField)
        and not f.choices
        and f.name not in ("content_type",)
        and f.name not in SHOWN_TEXT_FIELDS.get(model, ())
    ]
    assert missing == []
