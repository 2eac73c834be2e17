"""Partner numbers stay unique and every creation succeeds, also when Sales creates partners in parallel."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import Partner
from partnerdesk.accounts.services import create_partner

CREATORS = 8


@pytest.mark.django_db(transaction=True)
def test_r1_1_parallel_partner_creation_gives_distinct_numbers_and_loses_none(world):
    if connection.vendor != "postgresql":
        pytest.skip(f"parallel writers need PostgreSQL (this run uses {connection.vendor}); SQLite serialises them")
    sales = world.user(Role.SALES)
    barrier, errors, made = threading.Barrier(CREATORS), [], []

    def create(index: int) -> None:
        try:
            barrier.wait()
            for round_ in range(3):
                made.append(create_partner(acting_user=sales, name=f"Parallel {index}-{round_} GmbH").number)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(CREATORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(made) == CREATORS * 3 == len(set(made))
    assert Partner.objects.filter(name__startswith="Parallel ").count() == CREATORS * 3


@pytest.mark.django_db
def test_r13_1_a_given_partner_number_that_is_taken_is_a_field_error(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        create_partner(acting_user=world.user(Role.SALES), name="Doppelt GmbH", number=world.partner_a.number)
    assert "number" in refused.value.message_dict
