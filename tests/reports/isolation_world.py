"""The reports' part of the tenant-isolation walk (tests/isolation.py).

A report name is no row id, but the walk needs a value for it: a partner user asking for a vendor-only
report (the revenue) gets 404 with the refusal logged, like a foreign id. The figures a partner reads are
its own (the partner filter is forced); tests/reports/test_api.py proves owner, colleague and outsider.
"""

from __future__ import annotations

from types import ModuleType

from partnerdesk.accounts.models import User


def _foreign_report(world: object, user: User) -> str | None:
    return "revenue" if user.is_partner else None


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault("name", kind(own=lambda w, u: "time", foreign=_foreign_report))
