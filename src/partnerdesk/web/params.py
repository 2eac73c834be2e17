"""Reading ids and values that pages get from outside (path, query string, form), safely.

An id is ASCII digits naming a row a database can store; anything else (``²``, a minus sign, twenty
digits) is no id at all, so pages answer 404 or a field error, never a server error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model

from partnerdesk.api.fields import MAX_ID


def object_id(value: object) -> int | None:
    """The id in ``value``, or None when it is not one."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def object_ids(values: Iterable[object]) -> list[int]:
    """The ids among ``values`` (others are dropped)."""
    return [number for number in (object_id(v) for v in values) if number is not None]


class ObjectIdConverter:
    """``<id:ticket_id>`` in page URLs: only ids a database can hold match (else 404, not a 500)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = object_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)


class ObjectChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of one row by id; a value that is no id is an invalid choice, not a database error."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not isinstance(value, Model) and object_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ObjectMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A choice of rows by id; a value that is no id is refused, naming it."""

    def _check_values(self, value: Any) -> Any:
        for item in value if isinstance(value, list | tuple) else []:
            if not isinstance(item, Model) and object_id(item) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)
