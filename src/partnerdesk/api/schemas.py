"""What every router shares: strict input schemas and the asker behind a request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import ConfigDict

if TYPE_CHECKING:
    from partnerdesk.accounts.models import User


class Strict(Schema):
    """Input schemas refuse unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


def acting_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (token or session)."""
    return request.user  # type: ignore[return-value]


def asker(context: dict[str, Any] | None) -> User:
    """The user an output schema's resolver answers (ninja passes the request in the context)."""
    return context["request"].user  # type: ignore[index,no-any-return]
