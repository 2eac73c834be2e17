"""Parties and people: the vendor, its partners, their end customers, and the users who log in."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .choices import (
    NOTIFICATION_KINDS_BY_ROLE,
    PARTNER_ROLES,
    VENDOR_ROLES,
    Language,
    OrganisationKind,
    Role,
    SecurityEvent,
)
from .validation import validate_header_text


class Vendor(models.Model):
    """The one software vendor this installation serves."""

    # Names below end up in mail headers (From names, subjects): one line (R13.1).
    name = models.CharField(_("name"), max_length=200, validators=[validate_header_text])
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    product = models.CharField(_("product"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    tax_number = models.CharField(_("tax number"), max_length=30, blank=True)
    support_email = models.EmailField(_("support e-mail"), blank=True)
    require_two_factor = models.BooleanField(
        _("two-factor sign-in required for vendor staff"),
        default=False,
        help_text=_("Vendor staff sign in with a one-time code from an authenticator app, after the password."),
    )
    sales_email = models.EmailField(_("sales e-mail"), blank=True)
    domains = models.CharField(
        _("domains"), max_length=500, blank=True, help_text=_("Comma-separated domains of the vendor.")
    )

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Vendor:
        """The installation's vendor (created empty on first use so every page can name it)."""
        vendor = cls.objects.order_by("pk").first()
        if vendor is None:
            from django.conf import settings

            vendor = cls.objects.create(name=settings.PARTNERDESK_VENDOR_NAME)
        return vendor


class Partner(models.Model):
    """A reseller or system house that supports its own end customers (first level)."""

    number = models.PositiveIntegerField(_("partner number"), unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[validate_header_text])
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        return f"P{self.number:02d}"


class EndCustomer(models.Model):
    """A customer of exactly one partner. The vendor sees it by pseudonym unless revealed (R1.3)."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="end_customers")
    number = models.PositiveIntegerField(_("customer number"))
    name = models.CharField(_("organisation name"), max_length=200)
    name_revealed = models.BooleanField(
        _("name visible to the vendor"),
        default=False,
        help_text=_("Show the organisation name to the vendor."),
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), default="DE")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("end customer")
        verbose_name_plural = _("end customers")
        ordering = ["partner_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "number"], name="end_customer_number_per_partner"),
        ]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def pseudonym(self) -> str:
        """Stable for the end customer's lifetime: partner number and customer number (R1.3)."""
        return f"P{self.partner.number:02d}-C{self.number:04d}"


class ContactPerson(models.Model):
    """A person at an end customer. Never shown to the vendor without authorisation (R9.1)."""

    end_customer = models.ForeignKey(EndCustomer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200, validators=[validate_header_text])  # the To name
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["end_customer_id", "pk"]

    def __str__(self) -> str:
        return self.name


def normalise_login_name(value: object) -> str:
    """The one spelling of a user name: the lockout counts it and the login looks it up (R1.5).

    Without it, `A@x` and `a@x` would be two names to django-axes but one user to the lookup.
    """
    return str(value or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("organisation", OrganisationKind.VENDOR)
        fields.setdefault("role", Role.VENDOR_ADMIN)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Exact match on the lowered address, not iexact: the database's case folding (UPPER, LIKE) may
        # differ from Python's, and then a variant could match the user under another lockout name.
        return self.annotate(login_name=Lower("email")).get(login_name=normalise_login_name(username))


class User(AbstractUser):
    """Someone who logs in: vendor staff (no partner) or a partner's staff (one partner)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(
        _("name"), max_length=200, blank=True, validators=[validate_header_text]
    )  # a display name in mail headers
    organisation = models.CharField(_("organisation"), max_length=10, choices=OrganisationKind.choices)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("partner"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(_("language"), max_length=5, choices=Language.choices, blank=True, default="")
    # The kinds of notification mail (choices.NotificationKind) the user switched off; every other kind is on.
    # The database's default too: rows written by code that does not know the column yet (a rolling deploy).
    notifications_off = models.JSONField(
        _("notifications switched off"),
        default=list,
        db_default=models.Value([], output_field=models.JSONField()),
        blank=True,
    )
    # Who disabled the user: a partner admin may enable only users its own partner disabled (R1.5).
    disabled_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("disabled by"),
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="user_partner_matches_organisation",
                condition=(
                    models.Q(organisation=OrganisationKind.VENDOR, partner__isnull=True)
                    | models.Q(organisation=OrganisationKind.PARTNER, partner__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="user_role_matches_organisation",
                condition=(
                    models.Q(organisation=OrganisationKind.VENDOR, role__in=sorted(VENDOR_ROLES))
                    | models.Q(organisation=OrganisationKind.PARTNER, role__in=sorted(PARTNER_ROLES))
                ),
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_case_insensitive"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalise_login_name(self.email)

    @property
    def is_vendor(self) -> bool:
        return self.organisation == OrganisationKind.VENDOR

    @property
    def is_partner(self) -> bool:
        return self.organisation == OrganisationKind.PARTNER

    @property
    def is_vendor_admin(self) -> bool:
        """Asked by apps of accounts' own layer (the outbox), which may not import the roles."""
        return self.is_active and self.organisation == OrganisationKind.VENDOR and self.role == Role.VENDOR_ADMIN

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles

    @property
    def notification_kinds(self) -> tuple[str, ...]:
        """The kinds of notification mail the user's role can receive (and switch off)."""
        return NOTIFICATION_KINDS_BY_ROLE.get(self.role, ())

    def wants_notification(self, kind: str) -> bool:
        """Whether a notification of this kind may be mailed to the user: one of its role's, not switched off."""
        return kind in self.notification_kinds and kind not in (self.notifications_off or [])


class UserSession(AbstractBaseSession):
    """Django's database session plus its owner, so that disabling a user ends its sessions (R1.5)."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):  # type: ignore[no-untyped-def]
        from .sessions import SessionStore

        return SessionStore


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_of(raw: str) -> str:
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class SecurityLog(models.Model):
    """Every login attempt and every refused access: who, what, when (UTC) (R1.5).

    `at`, `path` and `detail` are those of the first of `count` identical refusals on `route` in its
    minute (security_log.py).
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    event = models.CharField(_("event"), max_length=30, choices=SecurityEvent.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(_("user name"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    route = models.CharField(_("route"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    # Identical refusals within one minute share a row (security_log.py): how many, and their key.
    count = models.PositiveIntegerField(_("count"), default=1)
    repeat_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("security log entry")
        verbose_name_plural = _("security log")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.username}"
