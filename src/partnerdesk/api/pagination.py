"""Limit/offset pagination for every API list, with bounds the database can take."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

# The largest offset any supported database accepts in every position (PostgreSQL int4 and up);
# larger ones would be a server error instead of a field error (R13.1).
MAX_OFFSET = 2_147_483_647


# An exact COUNT(*) reads every match: 250,000 escalated tickets take PostgreSQL hundreds of
# milliseconds, far more than the page itself (bench/bench_tickets.py). So `count` counts at most this
# many items past the offset, walking the page's own index order; more than that is reported as a bound.
EXACT_COUNT_BEYOND_OFFSET = 1_000

COUNT_DESCRIPTION = (
    f"The number of matching items, exact up to offset + {EXACT_COUNT_BEYOND_OFFSET:,}. When more match, it is "
    f"offset + {EXACT_COUNT_BEYOND_OFFSET + 1:,}, meaning at least that many: a page is followed by another "
    "exactly when offset + limit < count."
)


class LimitOffset(LimitOffsetPagination):
    """`?limit=&offset=`, answered as `{"items": [...], "count": n}`; `count` is bounded (COUNT_DESCRIPTION)."""

    class Input(Schema):
        limit: int = Field(settings.PARTNERDESK_API_PAGE_SIZE, ge=1, le=settings.PARTNERDESK_API_MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        items: list[Any]
        count: int = Field(..., description=COUNT_DESCRIPTION)

    def paginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        return self.bounded_page(queryset, pagination.offset, min(pagination.limit, self.max_limit))

    @staticmethod
    def bounded_page(queryset: Any, offset: int, limit: int) -> dict[str, Any]:
        """The page and the bounded count (a view that builds its answer itself uses this, as tickets' list)."""
        limit = min(limit, settings.PARTNERDESK_API_MAX_PAGE_SIZE)
        bound = offset + EXACT_COUNT_BEYOND_OFFSET + 1
        if isinstance(queryset, QuerySet) or hasattr(queryset, "count_up_to"):
            # COUNT(*) over the first `bound` rows in the list's order: the page's index, stopping early.
            # (`tickets.selectors.ShownRows`, the vendor's masked view of a queryset, counts the same way.)
            count = queryset.count_up_to(bound) if hasattr(queryset, "count_up_to") else queryset[:bound].count()
        else:
            count = min(len(queryset), bound)
        return {"items": queryset[offset : offset + limit], "count": count}

    async def apaginate_queryset(self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any) -> Any:
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        bound = offset + EXACT_COUNT_BEYOND_OFFSET + 1
        if isinstance(queryset, QuerySet):
            items = [obj async for obj in queryset[offset : offset + limit]]
            count = await queryset[:bound].acount()
        else:
            items, count = queryset[offset : offset + limit], min(len(queryset), bound)
        return {self.items_attribute: items, "count": count}
