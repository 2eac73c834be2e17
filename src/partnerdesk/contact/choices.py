"""Channels, how the vendor appears, and the kinds of audit-log rows (SPEC section 9)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import PARTNER_ROLES, Role


class Channel(models.TextChoices):
    """The ways the vendor can reach an end customer (R9.2, R9.3)."""

    EMAIL = "email", _("E-mail")
    CALL = "call", _("Call")
    WEB_MEETING = "web_meeting", _("Web meeting")
    REMOTE_MAINTENANCE = "remote_maintenance", _("Remote maintenance")


class AppearAs(models.TextChoices):
    """Whose name the vendor uses towards the end customer (R9.2, R9.6)."""

    VENDOR = "vendor", _("As the vendor")
    PARTNER = "partner", _("In the partner's name")


class AuditAction(models.TextChoices):
    """What an audit-log row records (R9.4)."""

    AUTHORIZATION_GRANTED = "authorization_granted", _("Authorisation granted")
    AUTHORIZATION_REVOKED = "authorization_revoked", _("Authorisation revoked")
    CONTACT_DATA_REVEALED = "contact_data_revealed", _("Contact data shown to the vendor")
    END_CUSTOMER_NAME_REVEALED = "end_customer_name_revealed", _("End customer's name revealed")
    END_CUSTOMER_NAME_HIDDEN = "end_customer_name_hidden", _("End customer's name hidden again")
    CONTACT_MADE = "contact_made", _("Vendor contacted the end customer")
    CONTACT_REFUSED = "contact_refused", _("Vendor contact refused")
    MAIL_DELIVERED = "mail_delivered", _("Mail to the end customer delivered")
    MAIL_NOT_DELIVERED = "mail_not_delivered", _("Mail to the end customer not delivered")
    END_CUSTOMER_REPLIED = "end_customer_replied", _("End customer replied")
    PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data of a contact person exported")
    PERSONAL_DATA_ERASED = "personal_data_erased", _("Personal data of a contact person erased")


class RefusalReason(models.TextChoices):
    """Why the gate said no; stored in the refused attempt's audit row."""

    NOT_VENDOR_STAFF = "not_vendor_staff", _("Only the vendor's support staff contact end customers this way.")
    TICKET_NOT_VISIBLE = "ticket_not_visible", _("The ticket is not visible to you.")
    PERSON_NOT_OF_CUSTOMER = "person_not_of_customer", _("The contact person does not belong to this end customer.")
    UNKNOWN_CHANNEL = "unknown_channel", _("Unknown channel.")
    NO_AUTHORIZATION = "no_authorization", _("The partner has not authorised contact with this end customer.")
    EXPIRED = "expired", _("The partner's authorisation has expired.")
    REVOKED = "revoked", _("The partner has revoked the authorisation.")
    CHANNEL_NOT_COVERED = "channel_not_covered", _("The partner's authorisation does not cover this channel.")
    PERSON_NOT_COVERED = "person_not_covered", _("The partner's authorisation does not cover this contact person.")
    INVALID_PERMIT = "invalid_permit", _("The contact permit is not valid.")
    NO_ADDRESS = "no_address", _("The contact person has no address for this channel.")
    NO_SENDER = "no_sender", _("The partner's brand has no sender address.")


# Vendor staff who may contact authorised end customers and see covered contact data (R9.1).
CONTACT_ROLES = frozenset({Role.L2_AGENT, Role.L3_ENGINEER, Role.VENDOR_ADMIN})
# Partner staff who grant and revoke authorisations (R9.2).
GRANT_ROLES = PARTNER_ROLES
# Who edits the partner's brand (R9.6).
BRAND_ROLES = frozenset({Role.PARTNER_ADMIN})

# Which contact data each channel needs; the vendor is shown only what a covered channel needs.
FIELDS_FOR_CHANNEL: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: ("email",),
    Channel.CALL: ("phone",),
    Channel.WEB_MEETING: ("email",),
    Channel.REMOTE_MAINTENANCE: (),
}
