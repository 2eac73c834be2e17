from django.contrib import admin

from .models import RetentionRun


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["ran_at", "attachments_removed", "attachment_bytes", "mail_originals_removed"]
    readonly_fields = [f.name for f in RetentionRun._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
