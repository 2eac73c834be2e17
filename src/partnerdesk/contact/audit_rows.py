"""The audit log as a reader sees it: one row per entry, in the reader's words, for the page and the CSV.

The partner sees its contact persons' names; the vendor's administrator only their ids (R9.1).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.utils.translation import gettext as _

from partnerdesk.accounts.models import ContactPerson, User

from .choices import AuditAction, Channel, RefusalReason
from .models import AuditEntry


@dataclass
class AuditRow:
    entry: AuditEntry
    action: str
    who: str
    end_customer: str
    contact_persons: str
    summary: str


def _person_ids(detail: dict[str, Any]) -> list[int]:
    ids: list[int] = []
    for key in ("contact_person", "contact_persons"):
        value = detail.get(key)
        if isinstance(value, int):
            ids.append(value)
        elif isinstance(value, list):
            ids += [v for v in value if isinstance(v, int)]
    for shown in detail.get("persons", []) or []:
        if isinstance(shown, dict) and isinstance(shown.get("contact_person"), int):
            ids.append(shown["contact_person"])
    return ids


def _summary(entry: AuditEntry) -> str:
    detail = entry.detail or {}
    parts = []
    if entry.channel in Channel.values:
        parts.append(str(Channel(entry.channel).label))
    if detail.get("reason") in RefusalReason.values:
        parts.append(str(RefusalReason(detail["reason"]).label))
    if "channels" in detail:
        parts.append(", ".join(str(Channel(c).label) for c in detail["channels"] if c in Channel.values))
    if detail.get("valid_until"):
        parts.append(_("until %(when)s") % {"when": detail["valid_until"]})
    if detail.get("via"):
        parts.append(_("via %(via)s") % {"via": detail["via"]})
    for shown in detail.get("persons", []) or []:
        if isinstance(shown, dict):
            parts.append(f"#{shown.get('contact_person')}: {', '.join(shown.get('fields', []))}")
    return "; ".join(p for p in parts if p)


def rows_for(viewer: User, entries: Iterable[AuditEntry]) -> list[AuditRow]:
    entries = list(entries)
    names: dict[int, str] = {}
    if viewer.is_partner:
        ids = {pid for e in entries for pid in _person_ids(e.detail or {})}
        names = dict(
            ContactPerson.objects.filter(pk__in=ids, end_customer__partner_id=viewer.partner_id).values_list(
                "pk", "name"
            )
        )
    rows = []
    for entry in entries:
        customer = entry.end_customer
        if customer is None:
            customer_label = ""
        elif viewer.is_partner or customer.name_revealed:
            customer_label = f"{customer.name} ({customer.pseudonym})"
        else:
            customer_label = customer.pseudonym
        persons = ", ".join(names.get(pid, f"#{pid}") for pid in _person_ids(entry.detail or {}))
        rows.append(
            AuditRow(
                entry=entry,
                action=str(AuditAction(entry.action).label) if entry.action in AuditAction.values else entry.action,
                who=entry.actor_label or _("system"),
                end_customer=customer_label,
                contact_persons=persons,
                summary=_summary(entry),
            )
        )
    return rows


CSV_HEADER = (
    "partner",
    "seq",
    "at_utc",
    "action",
    "who",
    "ticket",
    "end_customer",
    "authorization",
    "channel",
    "contact_persons",
    "detail",
    "prev_hash",
    "hash",
)


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_of(rows: Iterable[AuditRow]) -> str:
    """UTF-8 CSV with every field the hash covers, so an auditor can re-check the chain from the export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in rows:
        e = row.entry
        writer.writerow(
            _cell(value)
            for value in [
                e.partner_id,
                e.seq,
                e.at.astimezone(UTC).isoformat(timespec="microseconds"),
                e.action,
                row.who,
                e.ticket_id or "",
                row.end_customer,
                e.authorization_id or "",
                e.channel,
                row.contact_persons,
                json.dumps(e.detail, sort_keys=True, ensure_ascii=False),
                e.prev_hash,
                e.hash,
            ]
        )
    return buffer.getvalue()
