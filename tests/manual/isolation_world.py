"""The manual's part of the tenant-isolation walk (tests/isolation.py).

The manual belongs to no partner: every user reads its published sections. What an asker must not see
is a draft, unless it is one of the vendor's editors (L2, L3, administrators): a draft's id, in a path
(/manual/sections/{section_id}) or in a body (manual_section_ids), is answered 404 like a missing one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from partnerdesk.accounts.models import User
from partnerdesk.manual.selectors import may_edit
from tests.factories import manual_section


def extend_world(world: Any) -> None:
    world.manual_published = manual_section()
    world.manual_draft = manual_section("2.1", "Draft: new setup wizard", "Not yet published.", published=False)


def _foreign(world: Any, user: User) -> int | None:
    return None if may_edit(user) else world.manual_draft.pk


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind(own=lambda w, u: w.manual_published.pk, foreign=_foreign)
    isolation.ID_KINDS.setdefault("section_id", kind)  # /manual/sections/{section_id}
    isolation.ID_KINDS.setdefault("manual_section_id", kind)  # manual_section_ids in ticket bodies
    isolation.WORLD_EXTENSIONS.append(extend_world)
