"""Row locks of parties and users; every ``select_for_update`` of the accounts app is here.

Only the named rows are locked (``of=("self",)``). Rows that audit entries point to (partners, end
customers) are locked FOR NO KEY UPDATE: the foreign-key check of an audit row written meanwhile
takes KEY SHARE on them, which NO KEY UPDATE does not block (see ``contact.audit``).
"""

from __future__ import annotations

from django.db import transaction

from .models import EndCustomer, Partner, User


def _in_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} needs a transaction")


def lock_partner(partner_id: int, *, no_key: bool = False) -> Partner:
    _in_transaction("lock_partner")
    return Partner.objects.select_for_update(no_key=no_key, of=("self",)).get(pk=partner_id)


def lock_end_customer(end_customer_id: int) -> EndCustomer:
    _in_transaction("lock_end_customer")
    return EndCustomer.objects.select_for_update(no_key=True, of=("self",)).get(pk=end_customer_id)


def lock_user(user_id: int) -> User:
    """Lock and re-read a user (who disabled it is read along, unlocked)."""
    _in_transaction("lock_user")
    return User.objects.select_for_update(of=("self",)).select_related("disabled_by").get(pk=user_id)
