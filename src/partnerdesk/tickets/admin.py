from django.contrib import admin

from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "partner", "end_customer", "level", "state", "charged_contract"]
    list_filter = ["level", "state", "category"]
    list_select_related = ["partner", "end_customer__partner", "charged_contract"]
    search_fields = ["subject"]
    raw_id_fields = ["end_customer", "charged_contract", "created_by"]
