"""An answer written straight from rows that already are the response schema's fields (speed issue).

The bytes are those ninja's JSONRenderer writes for the same data (json.dumps with DjangoJSONEncoder's
datetime format: milliseconds, "Z" for UTC), so a view may skip building and validating one pydantic model
per row while its declared response schema (the OpenAPI document) stays what it answers.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

_ENCODER = DjangoJSONEncoder()


def moment(value: datetime | None) -> str | None:
    """A datetime as ninja's renderer writes it (DjangoJSONEncoder)."""
    return None if value is None else _ENCODER.default(value)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """`data` (dicts, lists, str, int, bool, None and datetimes) as ninja's JSONRenderer would write it."""
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder),
        status=status,
        content_type=f"application/json; charset={settings.DEFAULT_CHARSET}",
    )
