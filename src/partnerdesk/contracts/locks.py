"""Row locks on billing-relevant rows, always taken in one order: contract, then its term (ledger),
then invoice (ARCHITECTURE convention 6). Every writer of a ledger goes through here.

Why it prevents the race of R4.8: booking reads "included units left" and writes "used"; two
bookings interleaving between read and write would both spend the same last units. Each booking
takes ``SELECT ... FOR UPDATE`` on the contract row first, so bookings on one contract run one after
the other, and the second reads what the first committed (PostgreSQL, READ COMMITTED). Taking the
locks in one fixed order means two transactions can never wait on each other in a cycle (no deadlock).
The database CHECK ``used <= granted`` is the last line of defence.

SQLite ignores ``FOR UPDATE``; there every write transaction is ``BEGIN IMMEDIATE`` (settings), so
writers are serialised for the whole transaction, which is stronger.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from . import pricing
from .choices import ContractEventKind
from .models import Contract, ContractEvent, ContractTerm


def lock_contract(contract_id: int) -> Contract:
    """Lock and re-read the contract (first in the order). Must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_contract needs a transaction")
    # No joins: FOR UPDATE would lock the joined plan row too, which every L contract shares.
    return Contract.objects.select_for_update(of=("self",)).get(pk=contract_id)


def lock_contracts(contract_ids: list[int]) -> list[Contract]:
    """Lock and re-read many contracts at once, in id order (the one order), in one statement."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_contracts needs a transaction")
    return list(
        Contract.objects.select_for_update(of=("self",))
        .filter(pk__in=contract_ids)
        .select_related("plan")
        .order_by("pk")
    )


def lock_terms_up_to(last_index: dict[int, int]) -> set[tuple[int, int]]:
    """Lock the stored terms of these contracts up to their index (second in the order; the caller
    holds the contracts' locks) in one statement; answers the (contract id, index) pairs found."""
    if not last_index:
        return set()
    rows = (
        ContractTerm.objects.select_for_update(of=("self",))
        .filter(contract_id__in=list(last_index), index__lte=max(last_index.values()))
        .order_by("contract_id", "index")
        .values_list("contract_id", "index")
    )
    return {(c, i) for c, i in rows if i <= last_index[c]}


def lock_term(term_id: int) -> ContractTerm:
    """Lock and re-read a term by its id (second in the order; the caller holds the contract's lock)."""
    return ContractTerm.objects.select_for_update(of=("self",)).get(pk=term_id)


def lock_term_on(contract: Contract, day: date) -> ContractTerm:
    """Lock the term containing ``day`` (second in the order), creating it first if it has not been.

    The caller holds the contract's lock, so no other transaction creates the same term meanwhile.
    """
    index = pricing.term_index_on(contract.start_date, contract.term_months, day)
    term = ContractTerm.objects.select_for_update(of=("self",)).filter(contract=contract, index=index).first()
    if term is None:
        term = materialise_term(contract, index)  # created in this transaction: already ours
    return term


def materialise_term(contract: Contract, index: int) -> ContractTerm:
    """Term ``index``, creating it (and any missing earlier ones, in order) from the contract's values.

    The fee is recorded on the term for the billing run (R3.5). Every term after the first is a
    renewal (R3.1) and is written to the contract's history. The caller holds the contract's lock.
    """
    term = ContractTerm.objects.filter(contract=contract, index=index).first()
    if term is not None:
        return term
    existing = {t.index: t for t in ContractTerm.objects.filter(contract=contract, index__lte=index)}
    for missing in range(index + 1):
        if missing not in existing:
            existing[missing] = _create_term(contract, missing)
    return existing[index]


def _create_term(contract: Contract, index: int) -> ContractTerm:
    start, end = pricing.term_bounds(contract.start_date, contract.term_months, index)
    term = ContractTerm.objects.create(
        contract=contract,
        index=index,
        start_date=start,
        end_date=end,
        currency=contract.currency,
        fee_cents=contract.fee_cents,
        unit_minutes=contract.unit_minutes,
        included_units_granted=contract.included_units_per_term,
    )
    if index > 0:
        ContractEvent.objects.create(
            contract=contract,
            at=timezone.now(),
            actor=None,
            kind=ContractEventKind.RENEWED,
            from_state=contract.state,
            to_state=contract.state,
            details={"term": index + 1, "start_date": start.isoformat(), "end_date": end.isoformat() if end else None},
        )
    return term
