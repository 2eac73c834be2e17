"""The demo manual (`partnerdesk demo`): the groupios operations and installation manual in German and
English, imported from demo_manual/ through the importer (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import services
from .models import Section

DEMO_MANUAL = Path(__file__).parent / "demo_manual"


def load_manual(world: Any = None) -> services.ImportResult:
    return services.import_directory(DEMO_MANUAL)


def demo_section_ids(*numbers: str, language: str = "en", version: str = "4.2.1") -> list[int]:
    """The ids of demo sections by number, for the demo tickets that consulted them (the version's text)."""
    from . import analysis

    sections = Section.objects.filter(product="groupios", language=language, number__in=numbers)
    return [s.pk for s in sections if analysis.covers(s.version_from, s.version_to, version)]
