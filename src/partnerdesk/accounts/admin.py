from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .choices import SecurityEvent
from .models import ApiToken, Partner, SecurityLog, User, Vendor
from .services import log_security_event

# End customers and their contact persons are not offered here at all (R9.1, R9.4): the admin would show every
# person's e-mail and phone to any staff user, without an authorisation and without an audit row. Partners
# manage them on their pages; the vendor sees them only through the contact gate.


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_name", "vat_id"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "city", "country", "is_active"]
    search_fields = ["name", "city"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Sessions and tokens end in the post_save receiver (signals.py); here the who is logged (R1.5).
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            log_security_event(
                event=SecurityEvent.PARTNER_ENABLED if obj.is_active else SecurityEvent.PARTNER_DISABLED,
                user=request.user,
                detail=f"partner {obj.pk} {obj.name} (admin)",
            )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "organisation", "partner", "role", "is_active"]
    list_filter = ["organisation", "role", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "language")}),
        ("Organisation", {"fields": ("organisation", "partner", "role")}),
        ("Permissions", {"fields": ("is_active", "disabled_by", "is_staff", "is_superuser")}),
    )
    readonly_fields = ["disabled_by"]
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "organisation", "partner", "role", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """Record who disabled the user, so that a partner admin cannot enable it again (R1.5).

        Sessions and tokens end in the post_save receiver (signals.py), whatever the path.
        """
        activity_changed = change and "is_active" in form.changed_data
        if activity_changed:
            if obj.pk == request.user.pk and not obj.is_active:
                raise PermissionDenied(_("You cannot disable yourself."))
            obj.disabled_by = None if obj.is_active else request.user
        super().save_model(request, obj, form, change)
        if activity_changed:
            log_security_event(
                event=SecurityEvent.USER_ENABLED if obj.is_active else SecurityEvent.USER_DISABLED,
                user=request.user,
                detail=f"user {obj.pk} {obj.email} (admin)",
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash"]


@admin.register(SecurityLog)
class SecurityLogAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "count", "username", "ip_address", "method", "path", "route"]
    list_filter = ["event"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
