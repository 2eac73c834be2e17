"""Row locks of manual sections; every ``select_for_update`` of the manual app is here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Section


def _in_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} needs a transaction")


def lock_section(section_id: int) -> Section:
    _in_transaction("lock_section")
    return Section.objects.select_for_update(of=("self",)).get(pk=section_id)


def lock_section_by_key(**key: Any) -> Section | None:
    """The section an import updates: product, language, number and version range."""
    _in_transaction("lock_section_by_key")
    return Section.objects.select_for_update(of=("self",)).filter(**key).first()
