"""The manual meets the tickets: suggestions while capturing (R8.2), linked sections count for the capture
(R5.2), refusals name sections (R5.4), solved with the manual and the deflection figure (R8.3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.manual import selectors
from partnerdesk.tickets import deflection, services
from partnerdesk.tickets.choices import Category, ManualLinkKind, TicketState
from partnerdesk.tickets.models import Ticket, TicketManualSection
from tests.contracts.conftest import make_contract
from tests.factories import manual_section
from tests.tickets.conftest import COMPLETE_CAPTURE

from .conftest import numbers

IPSEC_TICKET = {
    "subject": "Branch tunnel drops every hour",
    "description": "The IPsec tunnel to the branch office goes down every hour and comes back after a minute.",
    "error_messages": "charon: CHILD_SA rekeying failed; DPD timeout",
    "tried_by_first_level": "Restarted the tunnel on both sides.",
}


@pytest.mark.parametrize("language", ["en", "de", ""])
def test_r8_2_an_ipsec_rekeying_ticket_gets_the_ipsec_rekeying_section_first(world, manual, language):
    hits = selectors.suggest_sections(
        world.user(Role.L1_AGENT), IPSEC_TICKET, product="groupios", version="4.2.1", language=language
    )
    assert hits[0].section.number == "7.4"
    assert "<mark>" in hits[0].excerpt


def test_r8_2_suggestions_in_german(world, manual):
    text = {"description": "Nach dem Update lädt die Administrationsoberfläche sehr langsam, upstream timed out"}
    hits = selectors.suggest_sections(world.user(Role.L1_AGENT), text, product="groupios", language="de")
    assert numbers(hits)[0] == "9.4"


def test_r8_2_suggestions_follow_the_product_and_version(world, manual):
    text = {"description": "How do I renew the certificate?"}
    l1 = world.user(Role.L1_AGENT)
    old = selectors.suggest_sections(l1, text, product="groupios", version="4.1", language="en")
    assert [h.section.versions for h in old if h.section.number == "5.4"] == ["4.0-4.1"]
    assert selectors.suggest_sections(l1, text, product="another product") == []


def test_r8_2_drafts_are_never_suggested_or_linked(world, db):
    draft = manual_section(published=False)
    l1 = world.user(Role.L1_AGENT)
    assert selectors.suggest_sections(l1, IPSEC_TICKET) == []
    with pytest.raises(ValidationError) as refusal:
        services.create_ticket(
            acting_user=l1, end_customer=world.customer_a, subject="x", manual_section_ids=[draft.pk]
        )
    assert "manual_section_ids" in refusal.value.message_dict


def test_r5_2_a_linked_section_counts_as_manual_sections_consulted(world, db):
    make_contract(world, "L")
    l1 = world.user(Role.L1_AGENT)
    ticket = services.create_ticket(acting_user=l1, end_customer=world.customer_a, subject="VPN", **COMPLETE_CAPTURE)
    problems, _contract = services.escalation_problems(ticket=ticket, contract=None, at=timezone.now())
    assert list(problems) == ["manual_sections_consulted"]
    section = manual_section()
    services.update_capture(acting_user=l1, ticket=ticket, changes={}, manual_section_ids=[section.pk])
    assert services.missing_capture(ticket) == []
    assert services.escalate(acting_user=l1, ticket=ticket).state == TicketState.ESCALATED
    # Ticking other sections replaces the links (the capture is closed now, so on a new ticket).
    other = manual_section("9.2", "Troubleshooting: a VPN tunnel does not come up", "Check UDP 500 and 4500.")
    second = services.create_ticket(
        acting_user=l1, end_customer=world.customer_a, subject="VPN 2", manual_section_ids=[section.pk]
    )
    services.update_capture(acting_user=l1, ticket=second, changes={}, manual_section_ids=[other.pk])
    assert list(second.manual_links.values_list("section_id", flat=True)) == [other.pk]


@pytest.mark.parametrize("category", [Category.INSTALLATION, Category.OPERATION])
def test_r5_4_the_refusal_for_installation_and_operation_names_matching_sections(world, manual, category):
    make_contract(world, "L")
    l1 = world.user(Role.L1_AGENT)
    capture = {
        **COMPLETE_CAPTURE,
        "category": category,
        "description": "How do we install the appliance on Proxmox and assign the network interfaces?",
        "error_messages": "",
        "tried_by_first_level": "Booted the ISO image.",
        "actual_behaviour": "The installer asks for the disk.",
    }
    ticket = services.create_ticket(acting_user=l1, end_customer=world.customer_a, subject="Install", **capture)
    with pytest.raises(ValidationError) as refusal:
        services.escalate(acting_user=l1, ticket=ticket)
    message = " ".join(refusal.value.message_dict["category"])
    installing = next(s for s in selectors.sections_by_ids(l1, [manual[("en", "1.2", "4.0+")].pk]))
    assert "1.2 Installing the appliance" in message
    assert f"/manual/sections/{installing.pk}/" in message
    ticket.refresh_from_db()
    assert ticket.state != TicketState.ESCALATED


def _solved(world, subject, *, sections=(), days_ago=1, partner="a"):
    l1 = world.user(Role.L1_AGENT) if partner == "a" else world.outsider[Role.L1_AGENT]
    customer = world.customer_a if partner == "a" else world.customer_b
    ticket = services.create_ticket(acting_user=l1, end_customer=customer, subject=subject)
    ticket = services.resolve(
        acting_user=l1, ticket=ticket, solved_with_manual=bool(sections), manual_section_ids=[s.pk for s in sections]
    )
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    return ticket


def test_r8_3_solved_with_the_manual_names_the_sections(world, db):
    section = manual_section()
    ticket = _solved(world, "Tunnel", sections=[section])
    assert ticket.solved_with_manual
    assert list(ticket.manual_links.values_list("section_id", "kind")) == [(section.pk, ManualLinkKind.SOLVED)]
    l1 = world.user(Role.L1_AGENT)
    no_sections = services.create_ticket(acting_user=l1, end_customer=world.customer_a, subject="Other")
    with pytest.raises(ValidationError) as refusal:
        services.resolve(acting_user=l1, ticket=no_sections, solved_with_manual=True)
    assert "manual_section_ids" in refusal.value.message_dict
    # Reopened: the manual did not solve it after all.
    services.reopen(acting_user=l1, ticket=Ticket.objects.get(pk=ticket.pk), reason="Drops again")
    ticket.refresh_from_db()
    assert not ticket.solved_with_manual and not ticket.manual_links.filter(kind=ManualLinkKind.SOLVED).exists()


def test_r8_3_deflection_figures_from_a_known_set_of_resolved_tickets(world, db):
    rekeying, install = manual_section(), manual_section("1.2", "Installing the appliance", "Boot the ISO image.")
    _solved(world, "A1", sections=[rekeying])
    _solved(world, "A2", sections=[rekeying, install])
    _solved(world, "A3")  # solved at first level without the manual
    _solved(world, "A-old", sections=[rekeying], days_ago=60)  # outside the period
    _solved(world, "B1", sections=[install], partner="b")
    _solved(world, "B2", partner="b")
    # Escalated after consulting the install section anyway: a section to improve; never counted as solved.
    make_contract(world, "L")
    l1 = world.user(Role.L1_AGENT)
    escalated = services.create_ticket(
        acting_user=l1,
        end_customer=world.customer_a,
        subject="Esc",
        manual_section_ids=[install.pk],
        **COMPLETE_CAPTURE,
    )
    services.escalate(acting_user=l1, ticket=escalated)
    services.resolve(acting_user=world.user(Role.L2_AGENT), ticket=escalated)

    today = timezone.localdate()
    figures = deflection.manual_deflection(world.user(Role.VENDOR_ADMIN), start=today - timedelta(days=30), end=today)
    assert (figures.solved_at_first_level, figures.solved_with_manual, figures.rate) == (5, 3, 0.6)
    by_partner = {p.partner_id: (p.solved_at_first_level, p.solved_with_manual) for p in figures.partners}
    assert by_partner == {world.partner_a.pk: (3, 2), world.partner_b.pk: (2, 1)}
    assert [(s.number, s.tickets) for s in figures.sections] == [("1.2", 2), ("7.4", 2)]
    assert [(s.number, s.tickets) for s in figures.consulted_before_escalation] == [("1.2", 1)]

    own = deflection.manual_deflection(world.user(Role.PARTNER_ADMIN), start=today - timedelta(days=30), end=today)
    assert (own.solved_at_first_level, own.solved_with_manual) == (3, 2)
    assert [p.partner_id for p in own.partners] == [world.partner_a.pk]
    assert TicketManualSection.objects.count() == 6
