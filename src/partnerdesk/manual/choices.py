from django.db import models
from django.utils.translation import gettext_lazy as _

from partnerdesk.accounts.choices import SUPPORT_ROLES, Role


class SectionLanguage(models.TextChoices):
    GERMAN = "de", _("German")
    ENGLISH = "en", _("English")


class SectionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


# Who writes the manual (R8.1): the vendor's second and third level and its administrators.
EDITOR_ROLES = frozenset({*SUPPORT_ROLES, Role.VENDOR_ADMIN})
