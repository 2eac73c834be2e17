"""Manual API (R8): sections, search, suggestions for a ticket's text, and the deflection figure (R8.3)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from partnerdesk.accounts import selectors as account_selectors
from partnerdesk.api.fields import ObjectId
from partnerdesk.api.pagination import LimitOffset
from partnerdesk.api.schemas import Strict
from partnerdesk.api.schemas import acting_user as _user
from partnerdesk.tickets import deflection

from . import search, selectors
from .choices import SectionLanguage
from .models import Section

router = Router(tags=["manual"])

SEARCH_RESULTS = 200  # at most this many ranked matches are paged through


class SectionOut(Schema):
    id: int
    product: str
    number: str
    title: str
    language: str
    version_from: str = Field(..., description="First version the section is for; empty: any")
    version_to: str = Field(..., description="Last version (inclusive: 4.2 covers 4.2.x); empty: open")
    status: str = Field(..., description="published, or draft (only the vendor's editors see drafts)")
    published_at: datetime | None
    updated_at: datetime
    path: str = Field(..., description="The section's page")

    @staticmethod
    def resolve_path(obj: Any) -> str:
        return selectors.section_path(obj)


class SectionHitOut(SectionOut):
    score: float | None = Field(None, description="The search's rank, higher is better (only with q)")
    excerpt: str = Field("", description="HTML: the text around the match, matching words in <mark>, rest escaped")


class SectionDetailOut(SectionOut):
    body: str = Field(..., description="Markdown")
    body_html: str = Field(..., description="The Markdown rendered and sanitised")


class SectionFilters(Schema):
    q: str | None = Field(None, max_length=500, description="Words to find in title and text (German or English)")
    product: str | None = Field(None, max_length=100)
    version: str | None = Field(None, max_length=50, description="Only sections for this product version")
    language: SectionLanguage | None = None


class _Row:
    """A section as the lists answer it: its own fields, and the search's score and excerpt."""

    def __init__(self, section: Section, score: float | None = None, excerpt: str = "") -> None:
        self.section, self.score, self.excerpt = section, score, excerpt

    def __getattr__(self, name: str) -> Any:
        return getattr(self.section, name)


def _hit_row(hit: selectors.Hit) -> _Row:
    return _Row(hit.section, hit.score, hit.excerpt)


def _section_row(section: Section) -> _Row:
    return _Row(section)


class _Ranked(Sequence[_Row]):
    """Search results for the pager: ids ranked at once, excerpts made only for the page asked."""

    def __init__(self, user: Any, filters: SectionFilters) -> None:
        self.user, self.q = user, filters.q or ""
        wanted = search.Filters(
            product=filters.product or "",
            version=filters.version or "",
            language=filters.language or "",
            published_only=not selectors.may_edit(user),
        )
        self.ranked = search.ranked_ids(self.q, wanted, mode=search.ALL, limit=SEARCH_RESULTS)

    def __len__(self) -> int:
        return len(self.ranked)

    @overload
    def __getitem__(self, index: int) -> _Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[_Row]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, int):
            return self[index : index + 1][0]
        hits = selectors.hits_for(self.user, self.ranked[index], self.q)
        return [_hit_row(hit) for hit in hits]


@router.get(
    "/manual/sections",
    response=list[SectionHitOut],
    summary="Manual sections: searched (q, ranked, with excerpts) or listed, by product, version, language (R8.2)",
)
@paginate(LimitOffset)
def list_sections(request: HttpRequest, filters: Query[SectionFilters]):  # type: ignore[no-untyped-def]
    user = _user(request)
    if filters.q and filters.q.strip():
        return _Ranked(user, filters)
    sections = selectors.sections_visible_to(user)
    if filters.product:
        sections = sections.filter(product=filters.product)
    if filters.language:
        sections = sections.filter(language=filters.language)
    if filters.version:
        sections = selectors.for_version(sections, filters.version)
    return _Rows(sections.order_by("product", "language", "sort_key", "version_from_key", "pk"))


class _Rows(Sequence[_Row]):
    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def count_up_to(self, bound: int) -> int:
        return self.queryset[:bound].count()

    def __len__(self) -> int:
        return self.queryset.count()

    @overload
    def __getitem__(self, index: int) -> _Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[_Row]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, int):
            return _section_row(self.queryset[index])
        return [_section_row(s) for s in self.queryset[index]]


@router.get("/manual/sections/{section_id}", response=SectionDetailOut, summary="One manual section")
def get_section(request: HttpRequest, section_id: ObjectId):  # type: ignore[no-untyped-def]
    user = _user(request)
    return account_selectors.get_visible_or_404(selectors.sections_visible_to(user), section_id, user=user)


SuggestText = Field("", max_length=20_000)


class SuggestionsIn(Strict):
    subject: str = Field("", max_length=200)
    description: str = SuggestText
    error_messages: str = SuggestText
    actual_behaviour: str = SuggestText
    tried_by_first_level: str = SuggestText
    product: str = Field("", max_length=100)
    product_version: str = Field("", max_length=50)
    language: SectionLanguage | None = Field(None, description="Default: both languages")
    limit: int = Field(5, ge=1, le=20)


@router.post(
    "/manual/suggestions",
    response=list[SectionHitOut],
    summary="The published sections that best match a ticket's text, for its product and version (R8.2)",
)
def suggestions(request: HttpRequest, payload: SuggestionsIn):  # type: ignore[no-untyped-def]
    hits = selectors.suggest_sections(
        _user(request),
        payload.model_dump(),
        product=payload.product,
        version=payload.product_version,
        language=payload.language or "",
        limit=payload.limit,
    )
    return [_hit_row(hit) for hit in hits]


class PeriodIn(Schema):
    start: date | None = Field(None, alias="from", description="First day (inclusive); default: 89 days before to")
    end: date | None = Field(None, alias="to", description="Last day (inclusive); default: today")


class PartnerFigureOut(Schema):
    partner_id: int
    partner: str
    solved_at_first_level: int
    solved_with_manual: int
    rate: float | None


class SectionFigureOut(Schema):
    section_id: int
    number: str
    title: str
    language: str
    tickets: int


class DeflectionOut(Schema):
    start: date = Field(..., validation_alias="start", serialization_alias="from", description="First day")
    end: date = Field(..., validation_alias="end", serialization_alias="to", description="Last day (inclusive)")
    solved_at_first_level: int = Field(..., description="Tickets resolved in the period, never escalated")
    solved_with_manual: int = Field(..., description="Of those, resolved as solved with the manual (R8.3)")
    rate: float | None = Field(..., description="solved_with_manual / solved_at_first_level; null when none")
    partners: list[PartnerFigureOut]
    sections: list[SectionFigureOut] = Field(..., description="Sections that solved tickets, most first")
    consulted_before_escalation: list[SectionFigureOut] = Field(
        ..., description="Sections consulted on tickets escalated in the period anyway, most first (to improve)"
    )


@router.get(
    "/reports/manual-deflection",
    response=DeflectionOut,
    by_alias=True,
    summary="Tickets solved at first level with the manual, of all solved there, per partner and section (R8.3)",
)
def manual_deflection(request: HttpRequest, period: Query[PeriodIn]):  # type: ignore[no-untyped-def]
    end = period.end or timezone.localdate()
    start = period.start or end - timedelta(days=89)
    if end < start:
        raise ValidationError({"to": _("The last day comes before the first.")})
    if (end - start).days > 366 * 3:
        raise ValidationError({"to": _("Choose a period of at most three years.")})
    return deflection.manual_deflection(_user(request), start=start, end=end)
