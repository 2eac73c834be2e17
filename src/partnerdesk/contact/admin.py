from django.contrib import admin

from .models import AuditEntry, ContactAuthorization


class ReadOnly(admin.ModelAdmin):
    """Authorisations change through the services (with their audit rows); audit rows never change."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ContactAuthorization)
class ContactAuthorizationAdmin(ReadOnly):
    list_display = ["pk", "partner", "end_customer", "ticket", "valid_until", "appear_as", "revoked_at"]
    list_select_related = ["partner", "end_customer__partner", "ticket"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ["partner", "seq", "at", "action", "actor_label", "ticket", "channel"]
    list_filter = ["action"]
    list_select_related = ["partner", "ticket"]
