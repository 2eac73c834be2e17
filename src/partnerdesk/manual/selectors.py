"""Every read of the manual that depends on who asks (R8.1, R8.2).

The manual belongs to no partner: every signed-in user reads its published sections; the vendor's
editors also see the drafts. Search and suggestions rank sections (partnerdesk.manual.search).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse

from partnerdesk.accounts.models import User

from . import analysis, search
from .choices import EDITOR_ROLES, SectionStatus
from .models import Section

SUGGESTION_FIELDS = ("subject", "description", "error_messages", "actual_behaviour", "tried_by_first_level")


def may_edit(user: User) -> bool:
    return user.is_active and user.role in EDITOR_ROLES


def sections_visible_to(user: User) -> QuerySet[Section]:
    if not user.is_active:
        return Section.objects.none()
    if may_edit(user):
        return Section.objects.all()
    return Section.objects.filter(status=SectionStatus.PUBLISHED)


def products() -> list[str]:
    return list(
        Section.objects.filter(status=SectionStatus.PUBLISHED)
        .order_by("product")
        .values_list("product", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class Hit:
    section: Section
    score: float
    excerpt: str  # HTML: escaped text, matching words in <mark>


def section_path(section: Section) -> str:
    """The page of a section (partners and vendor alike)."""
    return reverse("web:manual_section", kwargs={"section_id": section.pk})


def _hits(queryset: QuerySet[Section], ranked: list[tuple[int, float]], text: str) -> list[Hit]:
    by_id = {s.pk: s for s in queryset.filter(pk__in=[pk for pk, _score in ranked])}
    hits = []
    for pk, score in ranked:
        section = by_id.get(pk)
        if section is None:
            continue
        terms = analysis.query_stems(text, section.language)
        hits.append(Hit(section, round(score, 6), analysis.highlight(section.body_text, terms, section.language)))
    return hits


def hits_for(user: User, ranked: list[tuple[int, float]], text: str) -> list[Hit]:
    return _hits(sections_visible_to(user), ranked, text)


def for_version(sections: QuerySet[Section], version: str) -> QuerySet[Section]:
    """Only the sections whose version range covers this version (an unreadable version filters nothing)."""
    if not analysis.is_version(version):
        return sections
    key = analysis.version_key(version)
    return sections.filter(version_from_key__lte=key).filter(Q(version_to_key="") | Q(version_to_key__gte=key))


def search_sections(
    user: User, q: str, *, product: str = "", version: str = "", language: str = "", limit: int = 20
) -> list[Hit]:
    """Sections with every word of the query (stemmed, in the section's language), best first."""
    if not user.is_active or not q.strip():
        return []
    filters = search.Filters(product=product, version=version, language=language, published_only=not may_edit(user))
    return _hits(sections_visible_to(user), search.ranked_ids(q, filters, mode=search.ALL, limit=limit), q)


def ticket_text(fields: Mapping[str, object]) -> str:
    return "\n".join(str(fields.get(name) or "") for name in SUGGESTION_FIELDS)


def suggest_sections(
    user: User,
    fields: Mapping[str, object],
    *,
    product: str = "",
    version: str = "",
    language: str = "",
    limit: int = 5,
) -> list[Hit]:
    """The sections that best match a ticket's text (any of its words), for its product and version (R8.2).

    Only published sections are suggested, to the vendor too: suggestions are what the partner sees.
    """
    if not user.is_active:
        return []
    return suggest_published(fields, product=product, version=version, language=language, limit=limit)


def suggest_published(
    fields: Mapping[str, object], *, product: str = "", version: str = "", language: str = "", limit: int = 5
) -> list[Hit]:
    """The published sections that best match these ticket fields (anyone may read published ones).

    Without a language asked for, the sections are those of the ticket's language when its words tell
    it clearly (one section in two languages is one suggestion), else of both.
    """
    text = ticket_text(fields)
    if not text.strip():
        return []
    language = language or analysis.guess_language(text)
    filters = search.Filters(product=product, version=version, language=language, published_only=True)
    published = Section.objects.filter(status=SectionStatus.PUBLISHED)
    return _hits(published, search.ranked_ids(text, filters, mode=search.ANY, limit=limit), text)


def sections_by_ids(user: User, ids: Iterable[int], *, published_only: bool = False) -> list[Section]:
    queryset = sections_visible_to(user).filter(pk__in=list(ids))
    if published_only:
        queryset = queryset.filter(status=SectionStatus.PUBLISHED)
    return list(queryset.order_by("sort_key", "language", "pk"))
