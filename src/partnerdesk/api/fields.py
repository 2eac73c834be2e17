"""Input types every router shares, so that bad input is a field error and never reaches the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator, Field

# The largest id any supported database stores (a signed 64-bit integer). A larger number cannot name a
# row, and SQLite cannot even bind it to a query (OverflowError, a server error): refuse it as input.
MAX_ID = 9_223_372_036_854_775_807

ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""An id from outside: in the path, the query or the body."""


def _in_utc(value: datetime) -> datetime:
    """Naive times are local (TIME_ZONE). Kept in UTC, a time has an offset every database accepts;
    PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 input can carry (a server error otherwise)."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date out of range") from None


Moment = Annotated[datetime, AfterValidator(_in_utc)]
"""A date and time from outside, in UTC."""
