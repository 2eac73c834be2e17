from django.contrib import admin

from .models import Contract, ContractEvent, ContractRequest, ContractTerm, Plan, QuotaNotification


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "partner", "fee_cents", "term_months", "included_minutes_per_term", "is_active"]
    list_filter = ["is_standard", "is_active"]


class TermInline(admin.TabularInline):
    model = ContractTerm
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in ContractTerm._meta.fields]


class EventInline(admin.TabularInline):
    model = ContractEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "kind", "from_state", "to_state", "reason"]
    fields = readonly_fields


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    """Read-only: contracts change through the services (history, ledger), not here."""

    list_display = ["pk", "partner", "plan", "state", "start_date", "end_date"]
    list_filter = ["state", "plan"]
    list_select_related = ["partner", "plan"]
    inlines = [TermInline, EventInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(QuotaNotification)
class QuotaNotificationAdmin(admin.ModelAdmin):
    list_display = ["contract", "threshold", "included_units_used", "included_units_granted", "created_at"]


@admin.register(ContractRequest)
class ContractRequestAdmin(admin.ModelAdmin):
    list_display = ["partner", "requested_by", "created_at"]
