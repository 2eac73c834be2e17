"""How pages show a service's refusal: one mapping of service errors to form errors and messages."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest

# Service errors that are about the whole request, not one field.
_GENERAL = ("__all__", "state")


def add_service_errors(form: Form, error: ValidationError, *, field_of: Callable[[str], str] | None = None) -> None:
    """Put a service's field errors on the form's fields (``field_of`` maps a service field name to
    a form field name); errors on fields the form does not have go to the form as a whole."""
    for name, problems in error.message_dict.items():
        field = field_of(name) if field_of else name
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)


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
