"""R3.2: included minutes are granted per term; unused ones expire at the end of the term, and the next term
starts with the full grant, in the ledger and in the usage figures (R10.7)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from partnerdesk.billing.selectors import contract_usage
from partnerdesk.contracts import pricing, services
from partnerdesk.contracts.selectors import default_contract_for, included_units_left_on
from partnerdesk.worklog.selectors import ledger_discrepancies

from .conftest import book, escalated_ticket, make_contract


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)))


def test_r3_2_the_renewed_term_starts_with_the_full_grant_and_term_1_leftovers_expire(world, agent):
    # M: 4 h = 16 units per term. Term 1 began 360 days ago and ends in a few days.
    contract = make_contract(world, "M", start=timezone.localdate() - timedelta(days=360))
    term_2_starts = pricing.add_months(contract.start_date, 12)
    ticket = escalated_ticket(contract)
    book(agent, ticket, 60)  # 4 of term 1's 16 units; 12 are never used
    assert contract_usage(contract).current.included_minutes_left == 180

    # The term ends; the daily housekeeping renews the contract on term 2's first day.
    assert services.settle_contracts(at=_at(term_2_starts)).terms_created == 1
    term_1, term_2 = contract.terms.order_by("index")
    assert (term_1.included_units_used, term_1.included_units_left) == (4, 12)
    assert (term_2.start_date, term_2.included_units_granted, term_2.included_units_used) == (term_2_starts, 16, 0)
    assert included_units_left_on(contract, term_2_starts) == 16  # not 16 + 12

    usage = contract_usage(contract, at=term_2_starts)
    assert usage.current.index == 1
    assert (usage.current.included_minutes_granted, usage.current.included_minutes_left) == (240, 240)
    assert [(t.index, t.included_minutes_used, t.included_minutes_left) for t in usage.terms] == [
        (0, 60, 180),  # term 1's leftover stays with term 1: it is not carried over
        (1, 0, 240),
    ]
    # On the last day of term 1 its leftover still counts; the day after, only term 2's grant does.
    assert included_units_left_on(contract, term_2_starts - timedelta(days=1)) == 12
    assert default_contract_for(end_customer=ticket.end_customer, at=term_2_starts) == contract


def test_r3_2_work_in_the_next_term_uses_only_that_terms_grant(world, agent):
    # Term 1 began 370 days ago, so today lies in term 2.
    contract = make_contract(world, "M", start=timezone.localdate() - timedelta(days=370))
    ticket = escalated_ticket(contract)
    first = book(agent, ticket, 60, started_at=_at(contract.start_date + timedelta(days=10)))
    assert (first.term.index, first.included_units, first.extra_units) == (0, 4, 0)

    # 5 h in term 2: its own 16 units are included and the rest is extra, although term 1 left 12 unused.
    second = book(agent, ticket, 300, started_at=timezone.now() - timedelta(hours=6))
    assert (second.term.index, second.included_units, second.extra_units) == (1, 16, 4)
    usage = contract_usage(contract)
    assert (usage.current.index, usage.current.included_minutes_left, usage.current.extra_units) == (1, 0, 4)
    assert (usage.terms[0].included_minutes_left, usage.terms[0].extra_units) == (180, 0)
    assert ledger_discrepancies(contract) == []
