"""Display helpers for contract pages: work time as hours, unit prices as hourly rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def hours(minutes: Any) -> str:
    """480 -> "8:00"; work is kept in minutes, people read hours."""
    if minutes in (None, ""):
        return ""
    total = int(minutes)
    sign = "-" if total < 0 else ""
    total = abs(total)
    return f"{sign}{total // 60}:{total % 60:02d}"


@register.filter
def hourly(unit_price_cents: Any, unit_minutes: Any) -> Decimal:
    """The hourly rate of a unit price: 2225 cents per 15 minutes -> 89.00."""
    return (Decimal(int(unit_price_cents)) * 60 / int(unit_minutes) / 100).quantize(Decimal("0.01"))


@register.filter
def cents(value: Any) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
