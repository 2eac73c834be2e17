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
        items.append(("web:tickets", _("Queue") if user.is_vendor else _("Tickets")))
        if user.is_vendor:
            items.append(("web:partners", _("Partners")))
        else:
            items.append(("web:end_customers", _("End customers")))
        items.append(("web:contracts", _("Contracts")))
        items.append(("web:manual", _("Manual")))
        items.append(("web:reports", _("Reports")))
        if user.is_partner or user.role in (Role.L2_AGENT, Role.L3_ENGINEER, Role.VENDOR_ADMIN):
            items.append(("web:contact_authorizations", _("Contact")))
        if user.role in (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN):
            items.append(("web:users", _("Users")))
        if user.role in (Role.VENDOR_ADMIN, Role.PARTNER_ADMIN):
            items.append(("web:inbox", _("Inbox")))
        if user.is_vendor and user.role in (Role.VENDOR_ADMIN, Role.L2_AGENT, Role.L3_ENGINEER):
            items.append(("web:day_plan", _("Day plan")))
        if user.role == Role.VENDOR_ADMIN:
            items.append(("web:outbox", _("Outbox")))
        if user.is_partner or user.role in (Role.VENDOR_ADMIN, Role.BILLING):
            items.append(("web:invoices", _("Invoices")))
        if user.role in (Role.VENDOR_ADMIN, Role.BILLING):
            items.append(("web:billing_runs", _("Billing runs")))
        if user.role == Role.PARTNER_ADMIN:
            items.append(("web:webhooks", _("Webhooks")))
        items.append(("web:profile", _("Profile")))
    return {"nav_items": items, "nav_current": _current_section(request, user)}


# Pages below a menu entry, so that the entry stays marked there.
_PARTNER_PAGES = {"web:partner", "web:end_customer", "web:end_customer_create"}
_TICKET_PAGES = {"web:ticket", "web:ticket_create"}
_CONTRACT_PAGES = {"web:contract", "web:contract_create", "web:plans", "web:plan_create"}


def _current_section(request: HttpRequest, user: Any) -> str:
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    if view_name in _PARTNER_PAGES and user is not None and user.is_authenticated:
        return "web:partners" if user.is_vendor else "web:end_customers"
    if view_name in _TICKET_PAGES:
        return "web:tickets"
    if view_name in _CONTRACT_PAGES:
        return "web:contracts"
    if view_name.startswith("web:outbox"):
        return "web:outbox"
    if view_name.startswith("web:inbox"):
        return "web:inbox"
    if view_name in ("web:invoice", "web:invoice_cancel"):
        return "web:invoices"
    if view_name in ("web:billing_run", "web:billing_settings"):
        return "web:billing_runs"
    if view_name == "web:partner_billing" and user is not None and user.is_authenticated:
        return "web:partners" if user.is_vendor else "web:end_customers"
    if view_name.startswith("web:webhook"):
        return "web:webhooks"
    if view_name.startswith("web:contact_"):
        return "web:contact_authorizations"
    if view_name == "web:report":
        return "web:reports"
    if view_name.startswith("web:manual_"):
        return "web:manual"
    return view_name
