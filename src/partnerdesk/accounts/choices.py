from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    VENDOR = "vendor", _("Vendor")
    PARTNER = "partner", _("Partner")


class Role(models.TextChoices):
    VENDOR_ADMIN = "vendor_admin", _("Administrator")
    SALES = "sales", _("Sales")
    BILLING = "billing", _("Billing")
    L2_AGENT = "l2_agent", _("Second-level agent")
    L3_ENGINEER = "l3_engineer", _("Third-level engineer")
    PARTNER_ADMIN = "partner_admin", _("Partner administrator")
    L1_AGENT = "l1_agent", _("First-level agent")


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.SALES, Role.BILLING, Role.L2_AGENT, Role.L3_ENGINEER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.L1_AGENT})
SUPPORT_ROLES = frozenset({Role.L2_AGENT, Role.L3_ENGINEER})


class Language(models.TextChoices):
    BROWSER = "", _("Browser language")
    GERMAN = "de", _("German")
    ENGLISH = "en", _("English")


class SecurityEvent(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", _("Login succeeded")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_LOCKED_OUT = "login_locked_out", _("Login locked out")
    LOGOUT = "logout", _("Logout")
    TOKEN_REFUSED = "token_refused", _("API token refused")
    ACCESS_REFUSED = "access_refused", _("Access refused")
    USER_DISABLED = "user_disabled", _("User disabled")
    USER_ENABLED = "user_enabled", _("User enabled")
    PARTNER_DISABLED = "partner_disabled", _("Partner disabled")
    PARTNER_ENABLED = "partner_enabled", _("Partner enabled")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
