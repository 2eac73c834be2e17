from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiToken, ContactPerson, EndCustomer, Partner, SecurityLog, User, Vendor


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_name", "vat_id"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "city", "country", "is_active"]
    search_fields = ["name", "city"]


class ContactInline(admin.TabularInline):
    model = ContactPerson
    extra = 0


@admin.register(EndCustomer)
class EndCustomerAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "name", "partner", "is_active"]
    list_select_related = ["partner"]
    search_fields = ["name"]
    inlines = [ContactInline]


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
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "organisation", "partner", "role", "password1", "password2"),
            },
        ),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["token_hash"]


@admin.register(SecurityLog)
class SecurityLogAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "username", "ip_address", "path"]
    list_filter = ["event"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
