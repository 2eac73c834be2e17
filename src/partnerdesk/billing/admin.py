"""Invoices in the Django admin are read-only (R10.3): issued invoices and their lines never change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import BillingRun, BillingSettings, Invoice, InvoiceLine, PartnerBillingProfile


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["position", "kind", "description", "quantity", "unit_price_cents", "net_cents", "vat_category"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "type_code", "partner", "period", "issued_on", "state", "gross_cents"]
    list_filter = ["state", "type_code", "period"]
    search_fields = ["number"]
    inlines = [InvoiceLineInline]


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdmin):
    list_display = ["period", "state", "dry_run", "partners_done", "partners_total", "invoices_issued", "created_at"]


admin.site.register(BillingSettings)
admin.site.register(PartnerBillingProfile)
