from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def shown_name(end_customer: Any, user: Any) -> str:
    """The end customer's name for partners, its pseudonym for the vendor unless revealed (R1.3)."""
    if getattr(user, "is_partner", False) or end_customer.name_revealed:
        return str(end_customer.name)
    return str(end_customer.pseudonym)
