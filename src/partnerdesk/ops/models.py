"""What the operations jobs record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionRun(models.Model):
    """One run of the retention job (issue 17 item 8, R13.2): what it removed, so an auditor can see it did."""

    ran_at = models.DateTimeField(_("ran"), db_index=True)
    attachment_days = models.PositiveIntegerField(default=0)
    mail_original_days = models.PositiveIntegerField(default=0)
    attachments_removed = models.PositiveIntegerField(_("attachments removed"), default=0)
    attachment_bytes = models.PositiveBigIntegerField(default=0)
    mail_originals_removed = models.PositiveIntegerField(_("mail originals removed"), default=0)
    mail_original_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"retention {self.ran_at:%Y-%m-%d %H:%M}"
