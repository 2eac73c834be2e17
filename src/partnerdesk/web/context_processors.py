from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The menu shows only what the user's role may open (R1.4)."""
    user = getattr(request, "user", None)
    items: list[tuple[str, Any]] = []
    if user is not None and user.is_authenticated:
        items.append(("web:dashboard", _("Overview")))
        if user.is_vendor:
            items.append(("web:partners", _("Partners")))
        else:
            items.append(("web:end_customers", _("End customers")))
        if user.role in (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN):
            items.append(("web:users", _("Users")))
        items.append(("web:profile", _("Profile")))
    return {"nav_items": items}
