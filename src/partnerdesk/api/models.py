from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The first result of a POST sent with an `Idempotency-Key`, replayed for retries (R13.3)."""

    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_per_principal")]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
