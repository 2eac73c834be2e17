from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """R5.3; second level covers malfunction and software defect only."""

    INSTALLATION = "installation", _("Installation")
    OPERATION = "operation", _("Operation")
    MALFUNCTION = "malfunction", _("Malfunction")
    SOFTWARE_DEFECT = "software_defect", _("Software defect")
    OTHER = "other", _("Other")


class Level(models.IntegerChoices):
    FIRST = 1, _("First level (partner)")
    SECOND = 2, _("Second level (vendor)")
    THIRD = 3, _("Third level (vendor)")


class TicketState(models.TextChoices):
    """R5.8."""

    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_END_CUSTOMER = "waiting_for_end_customer", _("Waiting for end customer")
    ESCALATED = "escalated", _("Escalated")
    WAITING_FOR_PARTNER = "waiting_for_partner", _("Waiting for partner")
    THIRD_LEVEL = "third_level", _("Third level")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class MessageKind(models.TextChoices):
    THREAD = "thread", _("Partner and vendor")
    PARTNER_NOTE = "partner_note", _("Internal note (partner)")
    VENDOR_NOTE = "vendor_note", _("Internal note (vendor)")
    END_CUSTOMER = "end_customer", _("Correspondence with the end customer")


class HandBackReason(models.TextChoices):
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope (installation or operation)")
    INFORMATION_MISSING = "information_missing", _("Information missing")
    ANSWERED = "answered", _("Answered")


# Why a ticket changed state, as its history shows it (R5.8): the hand-back reasons and the other changes.
TRANSITION_REASONS: dict[str, object] = {
    **dict(HandBackReason.choices),
    "created": _("Created"),
    "escalated": _("Escalated"),
    "third_level": _("Moved to third level"),
    "returned_to_vendor": _("Returned to the vendor"),
    "partner_replied": _("The partner replied"),
    "resolved": _("Resolved"),
    "closed": _("Closed"),
    "reopened": _("Reopened"),
}


class DefectStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    FIXED = "fixed", _("Fixed")
    WONT_FIX = "wont_fix", _("Will not be fixed")


# States in which the first level works on a ticket (the partner's own, invisible to the vendor if never escalated).
FIRST_LEVEL_STATES = frozenset({TicketState.NEW, TicketState.IN_PROGRESS, TicketState.WAITING_FOR_END_CUSTOMER})
# States in which the vendor works on a ticket.
VENDOR_STATES = frozenset({TicketState.ESCALATED, TicketState.THIRD_LEVEL})
# The service-level clocks stop while the ticket waits for the partner (R6.3).
PAUSED_STATES = frozenset({TicketState.WAITING_FOR_PARTNER})

# Second level covers malfunction and software defect only (R5.3).
COVERED_CATEGORIES = frozenset({Category.MALFUNCTION, Category.SOFTWARE_DEFECT})

# The capture fields of R5.2; the vendor chooses which are required (setting TICKET_REQUIRED_CAPTURE).
CAPTURE_FIELDS = (
    "product",
    "product_version",
    "environment",
    "description",
    "steps_to_reproduce",
    "expected_behaviour",
    "actual_behaviour",
    "error_messages",
    "business_impact",
    "tried_by_first_level",
    "category",
)
# The manual sections L1 consulted are links to sections (TicketManualSection), not text; the vendor can
# still require them before escalation under this name (R5.2, R8.2).
MANUAL_SECTIONS_CAPTURE = "manual_sections_consulted"
REQUIRABLE_CAPTURE = (*CAPTURE_FIELDS, MANUAL_SECTIONS_CAPTURE)
# The capture fields the partner writes as free text (all but the category).
CAPTURE_TEXT_FIELDS = tuple(name for name in CAPTURE_FIELDS if name != "category")


class ManualLinkKind(models.TextChoices):
    """How a manual section is linked to a ticket (R8.2, R8.3)."""

    CONSULTED = "consulted", _("Consulted")
    SOLVED = "solved", _("Solved the ticket")
