"""Row locks of inbound mail (ARCHITECTURE 6): only here, each naming its own row."""

from __future__ import annotations

from .models import InboundMail


def lock_inbound(pk: int) -> InboundMail:
    return InboundMail.objects.select_for_update(of=("self",)).get(pk=pk)
