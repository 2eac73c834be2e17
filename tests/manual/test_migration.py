"""The free-text field "manual sections consulted" becomes a message on its ticket before it goes (issue 13):
a partner-internal note where only the partner saw the ticket, a thread message where the vendor did too."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("tickets", "0005_existing_tickets_followed")]
AFTER = [("tickets", "0006_manual_sections")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_free_text_moves_into_a_note_and_the_field_goes():
    old = _migrate(BEFORE)
    Partner = old.get_model("accounts", "Partner")
    EndCustomer = old.get_model("accounts", "EndCustomer")
    Ticket = old.get_model("tickets", "Ticket")
    partner = Partner.objects.create(number=913, name="Manual Migration Partner")
    customer = EndCustomer.objects.create(partner=partner, number=1, name="Customer")
    own = Ticket.objects.create(
        partner=partner, end_customer=customer, subject="Own", manual_sections_consulted="4.3 VPN"
    )
    seen = Ticket.objects.create(
        partner=partner,
        end_customer=customer,
        subject="Seen",
        manual_sections_consulted="9.4 Performance",
        escalated_at=timezone.now(),
        level=2,
        state="escalated",
    )
    empty = Ticket.objects.create(partner=partner, end_customer=customer, subject="Empty")

    new = _migrate(AFTER)
    Message = new.get_model("tickets", "Message")
    notes = {
        m.ticket_id: (m.kind, m.shared_with_vendor, m.body)
        for m in Message.objects.filter(ticket__partner_id=partner.pk)
    }
    assert notes[own.pk][:2] == ("partner_note", False) and notes[own.pk][2].endswith("4.3 VPN")
    assert notes[seen.pk][:2] == ("thread", True) and notes[seen.pk][2].endswith("9.4 Performance")
    assert empty.pk not in notes
    columns = {c.name for c in connection.introspection.get_table_description(connection.cursor(), "tickets_ticket")}
    assert "manual_sections_consulted" not in columns

    back = _migrate(BEFORE)
    assert back.get_model("tickets", "Ticket").objects.get(pk=own.pk).manual_sections_consulted == "4.3 VPN"
    assert not back.get_model("tickets", "Message").objects.filter(ticket__partner_id=partner.pk).exists()
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())
