"""Page input no database can store is refused before any view sees it."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# NUL cannot be stored by PostgreSQL (and is never meant): a text with it is a forged request.
_FORBIDDEN = "\x00"


class RefuseNullCharacters:
    """A page request whose query string or form carries a NUL character answers 400 (the API
    answers 422 naming the field on its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            self._check(request)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest) -> None:
        sources = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(request.POST)
        for source in sources:
            for key, values in source.lists():
                if _FORBIDDEN in key or any(_FORBIDDEN in value for value in values):
                    raise BadRequest(
                        _("The field “%(field)s” contains a character that is not allowed.")
                        % {"field": key.replace(_FORBIDDEN, "")}
                    )
        uploads = getattr(request, "_files", None)
        for upload in uploads.values() if uploads else ():
            if _FORBIDDEN in (upload.name or ""):
                raise BadRequest(_("The file name contains a character that is not allowed."))
