"""The vocabulary of field errors every service speaks (R13.1): one wording for each kind of problem."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeGuard

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FieldErrors = dict[str, list[str]]


def add_error(errors: FieldErrors, field_name: str, message: str) -> None:
    errors.setdefault(field_name, []).append(message)


def merge_errors(errors: FieldErrors, error: ValidationError) -> None:
    """Collect a service's field errors into ``errors`` (to report every problem at once)."""
    for key, messages in error.message_dict.items():
        errors.setdefault(key, []).extend(messages)


def is_int(value: Any) -> TypeGuard[int]:
    """A whole number, and not a boolean (``True`` is an ``int`` in Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def choose_one_of(choices: Iterable[str]) -> str:
    """The message for a value outside its choices, listing them."""
    return _("Choose one of: %(choices)s.") % {"choices": ", ".join(str(c) for c in choices)}
