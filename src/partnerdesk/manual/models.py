"""The vendor's operations and installation manual (R8.1): numbered sections per product, version range
and language, written in Markdown. The search index is kept by the database (see the migrations and
`search`): PostgreSQL a generated tsvector column, SQLite an FTS5 table kept by triggers, both over the
stems in `search_title` and `search_body` (partnerdesk.manual.analysis).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import SectionLanguage, SectionStatus


class Section(models.Model):
    product = models.CharField(_("product"), max_length=100)
    number = models.CharField(_("number"), max_length=20, help_text=_("For example 7.3"))
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=2, choices=SectionLanguage.choices)
    version_from = models.CharField(_("from version"), max_length=50, blank=True)
    version_to = models.CharField(_("to version"), max_length=50, blank=True)
    body = models.TextField(_("text (Markdown)"))
    status = models.CharField(_("status"), max_length=20, choices=SectionStatus.choices, default=SectionStatus.DRAFT)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # Derived on every save by the services: never edited by hand.
    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(editable=False, default="")  # the words without markup: excerpts
    sort_key = models.CharField(max_length=120, editable=False, default="")  # the number, sortable
    version_from_key = models.CharField(max_length=120, editable=False, default="")
    version_to_key = models.CharField(max_length=120, editable=False, default="")  # "" = open
    search_title = models.TextField(editable=False, default="")
    search_body = models.TextField(editable=False, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("manual section")
        verbose_name_plural = _("manual sections")
        ordering = ["product", "language", "sort_key", "version_from_key", "pk"]
        constraints = [
            # One section of a number per product, language and version range: what an import updates.
            models.UniqueConstraint(
                fields=["product", "language", "number", "version_from", "version_to"], name="manual_section_once"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "language", "status", "sort_key"], name="manual_section_listing"),
            models.Index(fields=["updated_at"], name="manual_section_updated"),  # search.document_frequencies
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def versions(self) -> str:
        if not self.version_from and not self.version_to:
            return ""
        if self.version_from == self.version_to:
            return self.version_from
        if not self.version_to:
            return f"{self.version_from}+"
        return f"{self.version_from}-{self.version_to}"

    @property
    def is_published(self) -> bool:
        return self.status == SectionStatus.PUBLISHED
