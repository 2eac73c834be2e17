from django.contrib import admin

from .models import TimeEntry


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    # The ticket by number only: its subject is the partner's text (R9.1).
    exclude = ["ticket"]
    readonly_fields = ["ticket_id"]
    list_display = [
        "pk",
        "ticket_id",
        "contract",
        "agent",
        "started_at",
        "minutes",
        "included_units",
        "extra_units",
        "amount_cents",
        "billable",
        "invoiced_at",
    ]
    list_select_related = ["contract__partner", "contract__plan", "agent"]
    list_filter = ["billable", "activity"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
