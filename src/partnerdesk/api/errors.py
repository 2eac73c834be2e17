"""One error shape for every API failure: {"detail": ..., "errors": [{"field", "message"}]} (R13.1)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE

from partnerdesk.accounts.choices import SecurityEvent
from partnerdesk.accounts.services import log_security_event
from partnerdesk.accounts.validation import choose_one_of

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("django.request")  # where Django logs the pages' server errors

# The request parts ninja names in an error location; the field is what follows them.
_LOCATION_PARTS = {"body", "query", "path", "header", "cookie", "form", "file", "payload", "data", "filters"}


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("This field is required."),
        "int_parsing": _("Enter a whole number."),
        "int_type": _("Enter a whole number."),
        "float_parsing": _("Enter a number."),
        "decimal_parsing": _("Enter a number."),
        "bool_parsing": _("Enter true or false."),
        "bool_type": _("Enter true or false."),
        "string_type": _("Enter text."),
        "string_too_long": _("Use at most %(max)s characters.") % {"max": ctx.get("max_length")},
        "string_too_short": _("Use at least %(min)s characters.") % {"min": ctx.get("min_length")},
        "date_parsing": _("Enter a date as YYYY-MM-DD."),
        "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
        "datetime_parsing": _("Enter a date and time as ISO 8601 with a time zone."),
        "datetime_from_date_parsing": _("Enter a date and time as ISO 8601 with a time zone."),
        "timezone_aware": _("Give the time zone (for example +01:00 or Z)."),
        "value_error": _("Enter a valid value."),
        "enum": choose_one_of([ctx.get("expected", "")]),
        "literal_error": choose_one_of([ctx.get("expected", "")]),
        "greater_than": _("Enter a value greater than %(limit)s.") % {"limit": ctx.get("gt")},
        "greater_than_equal": _("Enter a value of at least %(limit)s.") % {"limit": ctx.get("ge")},
        "less_than": _("Enter a value less than %(limit)s.") % {"limit": ctx.get("lt")},
        "less_than_equal": _("Enter a value of at most %(limit)s.") % {"limit": ctx.get("le")},
        "list_type": _("Enter a list."),
        "dict_type": _("Enter an object."),
        "model_attributes_type": _("Enter an object."),
        "json_invalid": _("The request body is not valid JSON."),
        "extra_forbidden": _("Unknown field."),
        "uuid_parsing": _("Enter a valid UUID."),
        "int_from_float": _("Enter a whole number."),
        "decimal_max_places": _("Use at most %(n)s decimal places.") % {"n": ctx.get("decimal_places")},
        "decimal_max_digits": _("Use at most %(n)s digits.") % {"n": ctx.get("max_digits")},
        "decimal_whole_digits": _("Use fewer digits before the decimal point."),
        "finite_number": _("Enter a finite number."),
        "too_long": _("Give at most %(n)s items.") % {"n": ctx.get("max_length")},
        "too_short": _("Give at least %(n)s items.") % {"n": ctx.get("min_length")},
    }
    if kind in messages:
        return messages[kind]
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return _("Enter a valid value.")
    return str(error.get("msg") or _("Enter a valid value."))


def _field_of(location: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in location]
    while parts and parts[0] in _LOCATION_PARTS:
        parts.pop(0)
    return ".".join(parts) or "body"


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """The body of every API error."""

    detail: str
    errors: list[FieldErrorOut]


class ServerErrorOut(ErrorOut):
    """The body of a server error: the id under which it was logged."""

    request_id: str


def error_body(detail: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def _request_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [{"field": _field_of(e.get("loc", ())), "message": _pydantic_message(e)} for e in exc.errors]
        return api.create_response(request, error_body(_("The request has invalid fields."), errors), status=422)

    @api.exception_handler(ValidationError)
    def _domain_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": field if field != "__all__" else "body", "message": str(message)}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [{"field": "body", "message": str(m)} for m in exc.messages]
        return api.create_response(request, error_body(_("The request has invalid fields."), errors), status=422)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body(_("Not found.")), status=404)

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        user = getattr(request, "user", None)
        log_security_event(
            event=SecurityEvent.ACCESS_REFUSED,
            user=user if user is not None and user.is_authenticated else None,
            ip_address=request.META.get("REMOTE_ADDR"),
            method=request.method or "",
            path=request.path,
            detail=str(exc)[:500],
            kind="permission",
        )
        return api.create_response(
            request, error_body(str(exc) or _("Your role does not allow this action.")), status=403
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(request, error_body(_("Authentication required.")), status=401)

    def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Safety net for input the database refuses (SQLite binds no number beyond 64 bits; PostgreSQL
        # refuses out-of-range values with a DataError). Routes should type such input with
        # partnerdesk.api.fields (ObjectId, Moment), which names the field; this names only the part.
        logger.warning("input the database refused on %s %s: %s", request.method, request.path, exc)
        part = "body" if request.method in ("POST", "PUT", "PATCH") else "query"
        errors = [{"field": part, "message": _("A value is out of the range that can be stored.")}]
        return api.create_response(request, error_body(_("The request has invalid fields."), errors), status=422)

    api.add_exception_handler(OverflowError, _out_of_range)
    api.add_exception_handler(DataError, _out_of_range)

    @api.exception_handler(Exception)
    def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Ninja's default re-raises outside DEBUG, and Django answers with the HTML page; the API answers
        # JSON, logs the traceback with the request id, and gives the id back to the client.
        if isinstance(exc, (SuspiciousOperation, BadRequest)):
            raise exc  # Django answers these with 400
        request_logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        body = error_body(_("Server error. The error has been logged; quote the request id when you report it."))
        body["request_id"] = getattr(request, "request_id", "")
        response = api.create_response(request, body, status=500)
        response._has_been_logged = True  # type: ignore[attr-defined]  # not once more by Django's handler
        return response

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # Ninja answers an unparseable body with a bare 400; it is a field error like any other.
            errors = [{"field": "body", "message": _("The request body is not valid JSON.")}]
            return api.create_response(request, error_body(_("The request has invalid fields."), errors), status=422)
        return api.create_response(request, error_body(str(exc)), status=exc.status_code)


# The error responses every operation can give, added to the generated document in one place so that
# no route can forget them: (status, description, applies to the operation?).
_ERROR_RESPONSES: tuple[tuple[str, str, Any], ...] = (
    (
        "401",
        "Authentication required: no, an unknown, a revoked or an expired token.",
        lambda path, method, op: bool(op.get("security")),
    ),
    (
        "403",
        "Your role does not allow this action (or the session's CSRF check failed).",
        lambda path, method, op: bool(op.get("security")),
    ),
    (
        "404",
        "Not found. Another partner's object, wherever its id is given, is answered like a missing one (R1.1).",
        lambda path, method, op: bool(op.get("security")) or "{" in path,
    ),
    (
        "409",
        "A request with this Idempotency-Key is still in progress.",
        lambda path, method, op: method == "post",
    ),
    (
        "422",
        "Invalid input: `errors` names each field and its problem.",
        lambda path, method, op: bool(op.get("parameters") or op.get("requestBody")),
    ),
)

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "A retry with the same key returns the first result and changes nothing (R13.3).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def declare_error_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Add the shared error responses (and the Idempotency-Key header on POST) to every operation."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for schema in (ErrorOut, ServerErrorOut):
        json_schema = schema.model_json_schema(ref_template=REF_TEMPLATE)
        components.update(json_schema.pop("$defs", {}))
        components[schema.__name__] = json_schema
    content = {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ErrorOut")}}}
    server_error = {
        "description": "Server error, logged with its traceback under `request_id` (also the X-Request-ID header).",
        "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ServerErrorOut")}}},
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method == "post":
                parameters = operation.setdefault("parameters", [])
                if not any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
                    parameters.append(dict(IDEMPOTENCY_KEY_PARAMETER))
            responses = operation.setdefault("responses", {})
            for status, description, applies in _ERROR_RESPONSES:
                if applies(path, method, operation):
                    responses.setdefault(status, {"description": description, "content": content})
            responses.setdefault("500", server_error)
    return document
