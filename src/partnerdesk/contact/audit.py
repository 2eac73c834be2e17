"""The append-only audit log (R9.4): appending under the chain head's lock, and verifying the chains.

Each partner has one chain. `append_entry` locks the partner's `AuditChainHead` row (select_for_update),
so parallel appends serialise and cannot fork the chain; the new row's `prev_hash` is the head's hash,
its `hash` covers the row including `prev_hash`, and the head moves on in the same transaction.

The lock order: a writer that appends to a partner's chain takes `lock_chain(partner)` FIRST, before it
locks any row an audit row points to (authorisation, end customer, partner, ticket), and locks those rows
only with `FOR NO KEY UPDATE`. The foreign-key checks of an audit row (PostgreSQL runs Django's deferred
ones at COMMIT) take `KEY SHARE` on the rows it names; `NO KEY UPDATE` does not conflict with it, and a
writer that waits for the chain head holds no lock that the head's holder could be waiting for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from partnerdesk.accounts.models import EndCustomer, Partner, User

from . import locks
from .models import GENESIS_HASH, AuditChainHead, AuditEntry, ContactAuthorization


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return ""
    organisation = actor.partner.name if actor.partner_id else "vendor"
    return f"{actor.email} ({actor.role}, {organisation})"[:300]


def lock_chain(partner: Partner | int) -> AuditChainHead:
    """Take the partner's chain lock; the first lock of every writer that appends (see the module docstring).
    Held until the caller's transaction ends; taking it again in the same transaction is free."""
    return locks.lock_chain_head(partner if isinstance(partner, int) else partner.pk)


@transaction.atomic
def append_entry(
    *,
    partner: Partner | int,
    action: str,
    actor: User | None = None,
    ticket: Any = None,
    end_customer: EndCustomer | None = None,
    authorization: ContactAuthorization | None = None,
    channel: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one row to the partner's chain, in the caller's transaction (or its own)."""
    partner_id = partner if isinstance(partner, int) else partner.pk
    head = lock_chain(partner_id)
    entry = AuditEntry(
        partner_id=partner_id,
        seq=head.last_seq + 1,
        at=at or timezone.now(),
        action=action,
        actor=actor,
        actor_label=_actor_label(actor),
        ticket=ticket,
        end_customer=end_customer,
        authorization=authorization,
        channel=channel,
        detail=_plain(detail or {}),
        prev_hash=head.last_hash,
    )
    entry.hash = entry.compute_hash()
    entry.save()
    head.last_seq, head.last_hash = entry.seq, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


def _plain(value: Any) -> Any:
    """JSON the database hands back unchanged: strings, ints, booleans, lists and string-keyed objects."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


@dataclass(frozen=True)
class ChainBreak:
    """The first row (or the head) where a partner's chain does not hold."""

    partner_id: int
    seq: int
    entry_id: int | None
    problem: str

    def __str__(self) -> str:
        row = f"row id {self.entry_id}" if self.entry_id is not None else "chain head"
        return f"partner {self.partner_id}, entry #{self.seq} ({row}): {self.problem}"


def verify_chain(partner_id: int) -> ChainBreak | None:
    """Walk one partner's chain from the start; the first break, or None when it holds."""
    expected_prev, expected_seq, last_id = GENESIS_HASH, 1, None
    for entry in _entries_of(partner_id):
        if entry.seq != expected_seq:
            return ChainBreak(partner_id, expected_seq, entry.pk, f"expected entry #{expected_seq}, found #{entry.seq}")
        if entry.prev_hash != expected_prev:
            return ChainBreak(partner_id, entry.seq, entry.pk, "does not continue the previous entry's hash")
        if entry.compute_hash() != entry.hash:
            return ChainBreak(partner_id, entry.seq, entry.pk, "content does not match its hash (changed)")
        expected_prev, expected_seq, last_id = entry.hash, expected_seq + 1, entry.pk
    head = AuditChainHead.objects.filter(partner_id=partner_id).first()
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return ChainBreak(partner_id, last_seq, last_id, "the chain head is missing")
        return None
    if (head.last_seq, head.last_hash) != (last_seq, expected_prev):
        return ChainBreak(
            partner_id, head.last_seq, None, f"the head names entry #{head.last_seq}, the log ends at #{last_seq}"
        )
    return None


def _entries_of(partner_id: int) -> Iterator[AuditEntry]:
    return AuditEntry.objects.filter(partner_id=partner_id).order_by("seq").iterator(chunk_size=2000)


def partners_with_chains() -> list[int]:
    ids = set(AuditChainHead.objects.values_list("partner_id", flat=True))
    ids |= set(AuditEntry.objects.values_list("partner_id", flat=True).distinct())
    return sorted(ids)


def verify_all(partner_ids: Iterable[int] | None = None) -> tuple[int, list[ChainBreak]]:
    """Verify every partner's chain; (entries checked, first break per broken chain)."""
    ids = list(partner_ids) if partner_ids is not None else partners_with_chains()
    breaks = [b for b in (verify_chain(pid) for pid in ids) if b is not None]
    count = AuditEntry.objects.filter(Q(partner_id__in=ids)).count()
    return count, breaks
