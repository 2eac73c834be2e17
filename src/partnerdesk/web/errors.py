"""How pages show a service's refusal: one mapping of service errors to form errors and messages."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest

# Service errors that are about the whole request, not one field.
_GENERAL = ("__all__", "state")


def add_service_errors(form: Form, error: ValidationError, *, renamed: Mapping[str, str] | None = None) -> None:
    """Put a service's field errors on the form's fields.

    ``renamed`` maps a service's field name to the form's (``plan_id`` -> ``plan``); a dotted name
    (``overrides.rate_tiers.0.unit_price``) lands on its first part the form has. Errors on fields
    the form does not have go to the form as a whole.
    """
    for name, problems in error.message_dict.items():
        field = _form_field(form, (renamed or {}).get(name, name))
        for problem in problems:
            form.add_error(field, problem)


def _form_field(form: Form, name: str) -> str | None:
    if name in form.fields:
        return name
    return next((part for part in name.split(".") if part in form.fields), None)


def flash_refusal(request: HttpRequest, error: ValidationError | PermissionDenied) -> None:
    """Show a refusal as messages naming every problem (for actions that redirect back)."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            for problem in problems:
                messages.error(request, problem if field in _GENERAL else f"{field}: {problem}")
    else:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))


def flash_form_errors(request: HttpRequest, form: Form) -> None:
    """Show an invalid form's errors as messages, each with its field's label."""
    for field, problems in form.errors.items():
        for problem in problems:
            messages.error(request, f"{form.fields[field].label}: {problem}" if field in form.fields else problem)
