from __future__ import annotations

from typing import Any

import pytest

from partnerdesk.manual.demo import load_manual
from partnerdesk.manual.models import Section


@pytest.fixture
def manual(db: Any) -> dict[tuple[str, str, str], Section]:
    """The demo groupios manual, imported through the importer: (language, number, versions) -> section."""
    load_manual()
    return {(s.language, s.number, s.versions): s for s in Section.objects.all()}


def numbers(hits: Any) -> list[str]:
    return [hit.section.number for hit in hits]
