"""The move of time entries from contracts to worklog keeps every row (no data moves, the table stays)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("contracts", "0005_standard_plan_service_levels"),
    ("tickets", "0003_partner_state_due_index_and_statistics"),
]
AFTER = [("contracts", "0006_time_entries_move_to_worklog"), ("worklog", "0002_time_entry_events")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_r4_7_time_entries_survive_the_move_to_worklog():
    old = _migrate(BEFORE)
    Partner = old.get_model("accounts", "Partner")
    EndCustomer = old.get_model("accounts", "EndCustomer")
    User = old.get_model("accounts", "User")
    Plan = old.get_model("contracts", "Plan")
    Contract = old.get_model("contracts", "Contract")
    ContractTerm = old.get_model("contracts", "ContractTerm")
    OldEntry = old.get_model("contracts", "TimeEntry")
    Ticket = old.get_model("tickets", "Ticket")
    ContentType = old.get_model("contenttypes", "ContentType")
    ContentType.objects.get_or_create(app_label="contracts", model="timeentry")

    partner = Partner.objects.create(number=901, name="Migration Partner")
    customer = EndCustomer.objects.create(partner=partner, number=1, name="Migration Customer")
    agent = User.objects.create(email="agent@migration.example", organisation="vendor", role="l2_agent")
    # A transactional test before this one may have flushed the plans the data migration installed.
    plan, _created = Plan.objects.get_or_create(code="MIG", defaults={"name": "Migration plan", "rate_scope": "ticket"})
    contract = Contract.objects.create(
        partner=partner,
        plan=plan,
        state="active",
        start_date=timezone.localdate() - timedelta(days=30),
        rate_scope="ticket",
    )
    term = ContractTerm.objects.create(
        contract=contract, index=0, start_date=contract.start_date, included_units_granted=32, included_units_used=6
    )
    ticket = Ticket.objects.create(
        partner=partner, end_customer=customer, subject="Migrated", charged_contract=contract
    )
    rows = []
    for minutes, units in ((30, 2), (60, 4)):
        rows.append(
            OldEntry.objects.create(
                ticket=ticket,
                contract=contract,
                term=term,
                agent=agent,
                started_at=timezone.now() - timedelta(days=1),
                minutes=minutes,
                activity="email",
                units=units,
                included_units=units,
                charge_lines=[],
            ).pk
        )

    new = _migrate(AFTER)
    NewEntry = new.get_model("worklog", "TimeEntry")
    moved = NewEntry.objects.filter(pk__in=rows).order_by("pk")
    assert [(e.minutes, e.units, e.included_units, e.ticket_id, e.term_id) for e in moved] == [
        (30, 2, 2, ticket.pk, term.pk),
        (60, 4, 4, ticket.pk, term.pk),
    ]
    assert NewEntry._meta.db_table == "contracts_timeentry"
    content_types = new.get_model("contenttypes", "ContentType").objects
    assert content_types.filter(app_label="worklog", model="timeentry").exists()
    assert not content_types.filter(app_label="contracts", model="timeentry").exists()
    # New history rows have their own table next to the kept one.
    assert "worklog_timeentryevent" in connection.introspection.table_names()

    # Backwards restores the old state, still without moving a row.
    back = _migrate(BEFORE)
    assert back.get_model("contracts", "TimeEntry").objects.filter(pk__in=rows).count() == 2
    _migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
