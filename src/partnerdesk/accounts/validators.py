"""Validators shared by every app's models (the lowest domain layer, so any app may use them)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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
