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
    USER_INVITED = "user_invited", _("User invited")
    ROLE_CHANGED = "role_changed", _("Role changed")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("New password requested")
    PASSWORD_SET = "password_set", _("Password set by link")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor sign-in turned off")
    TWO_FACTOR_FAILED = "two_factor_failed", _("Wrong one-time code")
    TWO_FACTOR_REQUIRED = "two_factor_required", _("Two-factor sign-in required for vendor staff")
    TWO_FACTOR_OPTIONAL = "two_factor_optional", _("Two-factor sign-in no longer required")


class NotificationKind(models.TextChoices):
    """The kinds of notification mail; each user can switch each one off (profile, /api/v1/me/notifications)."""

    VENDOR_MESSAGE = "vendor_message", _("Messages from the vendor")
    TICKET_ESCALATED = "ticket_escalated", _("Tickets escalated or reopened into the vendor's queue")
    TICKET_HANDED_BACK = "ticket_handed_back", _("Tickets handed back to the partner")
    TICKET_THIRD_LEVEL = "ticket_third_level", _("Tickets moved to third level")
    TICKET_RESOLVED = "ticket_resolved", _("Tickets resolved by the other side")
    PARTNER_MESSAGE = "partner_message", _("Messages and answers from the partner")
    QUOTA_THRESHOLD = "quota_threshold", _("A contract's included time reaching a threshold")
    BREACH_RISK = "breach_risk", _("Service levels at risk")
    END_CUSTOMER_REPLY = "end_customer_reply", _("Replies from end customers")
    APPOINTMENT = "appointment", _("Callbacks, web meetings and remote sessions")


# Which kinds a role can receive at all: the profile offers exactly these switches, and no other kind is sent.
NOTIFICATION_KINDS_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.PARTNER_ADMIN: (
        NotificationKind.VENDOR_MESSAGE,
        NotificationKind.TICKET_HANDED_BACK,
        NotificationKind.TICKET_THIRD_LEVEL,
        NotificationKind.TICKET_RESOLVED,
        NotificationKind.QUOTA_THRESHOLD,
        NotificationKind.END_CUSTOMER_REPLY,
        NotificationKind.APPOINTMENT,
    ),
    Role.L1_AGENT: (
        NotificationKind.VENDOR_MESSAGE,
        NotificationKind.TICKET_HANDED_BACK,
        NotificationKind.TICKET_THIRD_LEVEL,
        NotificationKind.TICKET_RESOLVED,
        NotificationKind.APPOINTMENT,
    ),
    Role.L2_AGENT: (
        NotificationKind.TICKET_ESCALATED,
        NotificationKind.PARTNER_MESSAGE,
        NotificationKind.TICKET_THIRD_LEVEL,
        NotificationKind.TICKET_RESOLVED,
        NotificationKind.BREACH_RISK,
        NotificationKind.APPOINTMENT,
    ),
    Role.L3_ENGINEER: (
        NotificationKind.TICKET_ESCALATED,
        NotificationKind.PARTNER_MESSAGE,
        NotificationKind.TICKET_THIRD_LEVEL,
        NotificationKind.TICKET_RESOLVED,
        NotificationKind.BREACH_RISK,
        NotificationKind.APPOINTMENT,
    ),
    Role.VENDOR_ADMIN: (
        NotificationKind.TICKET_ESCALATED,
        NotificationKind.PARTNER_MESSAGE,
        NotificationKind.TICKET_THIRD_LEVEL,
        NotificationKind.TICKET_RESOLVED,
        NotificationKind.APPOINTMENT,
    ),
    Role.SALES: (NotificationKind.QUOTA_THRESHOLD,),
    Role.BILLING: (),
}
