"""Row locks of the contact app; every ``select_for_update`` of it is here.

The one order for everything that appends to a partner's audit chain: the chain head first
(``lock_chain_head``), then the authorisation or end customer the audit row points to, FOR NO KEY
UPDATE, so the foreign-key checks at COMMIT (KEY SHARE) never wait on them (see ``audit``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from .models import AuditChainHead, Brand, ContactAuthorization


def _in_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} needs a transaction: the lock would end at once.")


def lock_chain_head(partner_id: int) -> AuditChainHead:
    """The partner's chain head, created if missing (creating cannot race: ignore_conflicts), then locked."""
    _in_transaction("lock_chain_head")
    AuditChainHead.objects.bulk_create([AuditChainHead(partner_id=partner_id)], ignore_conflicts=True)
    return AuditChainHead.objects.select_for_update(of=("self",)).get(partner_id=partner_id)


def lock_authorization(authorization_id: int) -> ContactAuthorization:
    _in_transaction("lock_authorization")
    return ContactAuthorization.objects.select_for_update(no_key=True, of=("self",)).get(pk=authorization_id)


def locked_authorizations(queryset: QuerySet[ContactAuthorization]) -> QuerySet[ContactAuthorization]:
    """The authorisations of ``queryset``, locked FOR NO KEY UPDATE when evaluated."""
    _in_transaction("locked_authorizations")
    return queryset.select_for_update(no_key=True, of=("self",))


def lock_brand(partner_id: int) -> Brand:
    _in_transaction("lock_brand")
    return Brand.objects.select_for_update(of=("self",)).get(partner_id=partner_id)
