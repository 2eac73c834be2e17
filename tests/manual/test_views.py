"""Manual pages (R8): partners read and search, the vendor's editors write and publish; the capture's
suggestions (htmx) and ticks; the refusal and the resolution with the manual on the ticket page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from partnerdesk.accounts.choices import Role
from partnerdesk.manual.choices import SectionStatus
from partnerdesk.manual.models import Section
from partnerdesk.tickets import services
from partnerdesk.tickets.choices import Category, ManualLinkKind
from partnerdesk.tickets.models import Ticket
from tests.factories import manual_section

from .test_tickets import IPSEC_TICKET

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r8_1_editors_write_drafts_and_publish_partners_read_only_published(world):
    editor = _client(world.user(Role.L2_AGENT))
    created = editor.post(
        "/manual/new/",
        {
            "product": "groupios",
            "number": "8.1",
            "title": "Proxy settings",
            "language": "en",
            "body": "# Proxy\n\nSet it.",
        },
    )
    assert created.status_code == 302
    section = Section.objects.get(number="8.1")
    assert section.status == SectionStatus.DRAFT and "<h1>Proxy</h1>" in section.body_html
    partner = _client(world.user(Role.L1_AGENT))
    assert partner.get(f"/manual/sections/{section.pk}/").status_code == 404
    assert editor.post(f"/manual/sections/{section.pk}/publish/", {"publish": "1"}).status_code == 302
    page = partner.get(f"/manual/sections/{section.pk}/").content.decode()
    assert "<h1>Proxy</h1>" in page and "/edit/" not in page
    assert partner.get(f"/manual/sections/{section.pk}/edit/").status_code == 403
    assert partner.post(f"/manual/sections/{section.pk}/publish/", {"publish": "0"}).status_code == 302
    section.refresh_from_db()
    assert section.status == SectionStatus.PUBLISHED  # the partner's attempt changed nothing
    assert _client(world.user(Role.SALES)).get("/manual/new/").status_code == 403
    bad = editor.post(
        f"/manual/sections/{section.pk}/edit/",
        {"product": "groupios", "number": "eight", "title": "Proxy", "language": "en", "body": "x"},
    )
    assert bad.status_code == 200 and "digits and dots" in bad.content.decode()


def test_r8_2_search_page_in_both_languages(world, manual):
    partner = _client(world.user(Role.L1_AGENT))
    page = partner.get("/manual/?q=Zertifikate&language=de").content.decode()
    assert "Zertifikate verwalten" in page and "<mark>" in page
    partial = partner.get("/manual/?q=rekeying", HTTP_HX_REQUEST="true").content.decode()
    assert "rekeying and dead peer detection" in partial and "<html" not in partial
    listed = partner.get("/manual/?language=en&version=4.3").content.decode()
    assert "Updating to a new version (4.3 and later)" in listed
    assert "Updating to a new version (4.0 to 4.2)" not in listed


def test_r8_2_capture_suggests_sections_and_stores_the_ticked_ones(world, manual):
    l1 = world.user(Role.L1_AGENT)
    client = _client(l1)
    query = {**IPSEC_TICKET, "product": "groupios", "product_version": "4.2.1"}
    suggestions = client.get("/manual/suggestions/", query, HTTP_HX_REQUEST="true").content.decode()
    rekeying = Section.objects.get(language="en", number="7.4")
    first = re.search(r'name="manual_section_ids" value="(\d+)"', suggestions)
    assert first is not None and int(first.group(1)) in set(
        Section.objects.filter(number="7.4").values_list("pk", flat=True)
    )
    # The create page keeps the ticks; the ticket links them.
    created = client.post(
        "/tickets/new/",
        {"end_customer": world.customer_a.pk, **query, "manual_section_ids": [rekeying.pk]},
    )
    assert created.status_code == 302
    ticket = Ticket.objects.get(subject=IPSEC_TICKET["subject"])
    assert list(ticket.manual_links.values_list("section_id", "kind")) == [(rekeying.pk, ManualLinkKind.CONSULTED)]
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="manual-suggestions"' in page and f'value="{rekeying.pk}" checked' in page
    # Saving the capture without the tick removes the link.
    client.post(f"/tickets/{ticket.pk}/", {"subject": ticket.subject, "product": "groupios"})
    assert not ticket.manual_links.exists()


def test_r5_4_and_r8_3_ticket_page_names_sections_and_resolves_with_the_manual(world, manual):
    l1 = world.user(Role.L1_AGENT)
    ticket = services.create_ticket(
        acting_user=l1,
        end_customer=world.customer_a,
        subject="Certificate renewal",
        product="groupios",
        product_version="4.2.1",
        description="How do we renew the web certificate before it expires?",
        category=Category.OPERATION,
    )
    client = _client(l1)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Sections that match this ticket" in page and "Managing certificates (4.2 and later)" in page
    refused = client.post(f"/tickets/{ticket.pk}/escalate/", {"level": "2"}, follow=True).content.decode()
    assert "Managing certificates (4.2 and later)" in refused
    certificates = Section.objects.get(language="en", number="5.4", version_from="4.2")
    client.post(
        f"/tickets/{ticket.pk}/resolve/",
        {"note": "ACME turned on", "solved_with_manual": "on", "manual_section_ids": [certificates.pk]},
    )
    ticket.refresh_from_db()
    assert ticket.solved_with_manual and ticket.state == "resolved"
    assert "Solved with the manual" in client.get(f"/tickets/{ticket.pk}/").content.decode()
    figures = _client(world.user(Role.VENDOR_ADMIN)).get("/manual/deflection/").content.decode()
    assert "Managing certificates (4.2 and later)" in figures


def test_r8_1_draft_sections_cannot_be_ticked_on_the_page(world, db):
    draft = manual_section(published=False)
    client = _client(world.user(Role.L1_AGENT))
    client.post(
        "/tickets/new/",
        {"end_customer": world.customer_a.pk, "subject": "Draft tick", "manual_section_ids": [draft.pk]},
    )
    assert not Ticket.objects.filter(subject="Draft tick").exists()
