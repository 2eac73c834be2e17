"""Issue 17 item 6 (R13.2): the data migrations do what they say with data in the database (django-test-migrations),
on SQLite and on PostgreSQL: `partnerdesk migrate` is the whole upgrade."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def migrator(migrator):  # type: ignore[no-untyped-def]
    """django-test-migrations drops the models' tables only; the manual's search index (an FTS5 table on SQLite)
    goes first, or migrating forward again would find it."""
    from partnerdesk.manual import search

    with connection.schema_editor() as editor:
        search.drop_index(editor)
    return migrator


@pytest.mark.django_db
def test_r13_2_existing_tickets_become_followed_by_their_creator_and_thread_writers(migrator):
    old = migrator.apply_initial_migration([("tickets", "0004_ticketfollower"), ("accounts", "0001_initial")])
    Partner = old.apps.get_model("accounts", "Partner")
    EndCustomer = old.apps.get_model("accounts", "EndCustomer")
    User = old.apps.get_model("accounts", "User")
    Ticket = old.apps.get_model("tickets", "Ticket")
    Message = old.apps.get_model("tickets", "Message")
    partner = Partner.objects.create(number=1, name="Alt GmbH")
    customer = EndCustomer.objects.create(partner=partner, number=1, name="Kunde AG")
    creator = User.objects.create(email="creator@alt.example", organisation="partner", role="l1_agent", partner=partner)
    writer = User.objects.create(email="agent@vendor.example", organisation="vendor", role="l2_agent")
    noter = User.objects.create(email="noter@vendor.example", organisation="vendor", role="l2_agent")
    ticket = Ticket.objects.create(partner=partner, end_customer=customer, subject="VPN", created_by=creator)
    Message.objects.create(ticket=ticket, author=writer, kind="thread", body="On it.")
    Message.objects.create(ticket=ticket, author=noter, kind="vendor_note", body="internal")

    new = migrator.apply_tested_migration(("tickets", "0005_existing_tickets_followed"))
    Follower = new.apps.get_model("tickets", "TicketFollower")
    followers = set(Follower.objects.filter(ticket_id=ticket.pk).values_list("user_id", flat=True))
    assert followers == {creator.pk, writer.pk}  # a vendor note does not make a follower


@pytest.mark.django_db
def test_r2_1_r6_3_standard_plans_are_installed_and_their_contracts_get_the_service_levels(migrator):
    old = migrator.apply_initial_migration([("contracts", "0004_service_level_targets"), ("accounts", "0001_initial")])
    Plan = old.apps.get_model("contracts", "Plan")
    Contract = old.apps.get_model("contracts", "Contract")
    Partner = old.apps.get_model("accounts", "Partner")
    assert set(Plan.objects.filter(is_standard=True).values_list("code", flat=True)) == {"L", "M", "S"}
    plan_l = Plan.objects.get(code="L", is_standard=True)
    assert (plan_l.fee_cents, plan_l.included_minutes_per_term) == (89_900, 480)
    assert plan_l.first_response_minutes is None  # before 0005
    partner = Partner.objects.create(number=7, name="Vertrag GmbH")
    # The contract copies the plan's terms (as the service does), at this migration's model.
    plan_fields = {f.name for f in Plan._meta.concrete_fields} - {"id", "code", "name", "is_standard", "partner"}
    copied = {f.name: getattr(plan_l, f.name) for f in Contract._meta.concrete_fields if f.name in plan_fields}
    contract = Contract.objects.create(partner=partner, plan=plan_l, start_date="2026-01-01", **copied)

    new = migrator.apply_tested_migration(("contracts", "0005_standard_plan_service_levels"))
    Plan = new.apps.get_model("contracts", "Plan")
    Contract = new.apps.get_model("contracts", "Contract")
    levels = {p.code: (p.first_response_minutes, p.resolution_minutes) for p in Plan.objects.filter(is_standard=True)}
    assert levels == {"L": (240, 1_920), "M": (480, 3_840), "S": (480, None)}
    assert Contract.objects.get(pk=contract.pk).first_response_minutes == 240
