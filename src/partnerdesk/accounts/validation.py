"""The vocabulary of field errors every service speaks (R13.1): one wording for each kind of problem."""

from __future__ import annotations

import unicodedata
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


# Control characters, and the line and paragraph separators that mail and log readers also break on.
_NOT_ONE_LINE = {"Cc", "Zl", "Zp"}


def is_one_line(value: object) -> bool:
    return not any(unicodedata.category(character) in _NOT_ONE_LINE for character in str(value or ""))


def validate_header_text(value: object) -> None:
    """A value that ends up in a mail header (From or To name, Subject) is one line without control
    characters (R13.1): a line break would either be refused by the mail library, so that every mail
    with it fails, or, worse, start a header of its own."""
    if not is_one_line(value):
        raise ValidationError(
            _("Use one line without line breaks or other control characters."), code="control_characters"
        )


def one_line(value: str) -> str:
    """The value with control characters replaced by spaces: for rows stored before the validator."""
    return "".join(" " if unicodedata.category(c) in _NOT_ONE_LINE else c for c in value)
