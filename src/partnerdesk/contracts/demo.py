"""Demo contracts (`partnerdesk demo`): the standard plans and contracts of both demo partners
(``worklog.demo`` then escalates tickets on them and books time).

Idempotent: a partner that has contracts already gets nothing new.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from partnerdesk.accounts.choices import Role
from partnerdesk.accounts.models import User

from . import services
from .models import Contract

# (partner number, plan, days since start, end customer numbers or None for all)
DEMO_CONTRACTS: list[tuple[int, str, int, list[int] | None]] = [
    (7, "L", 240, None),
    (12, "M", 100, None),
    (12, "S", 60, [2]),
]


@transaction.atomic
def load_contracts(world: Any) -> None:
    services.install_standard_plans()
    sales = User.objects.filter(role=Role.SALES, is_active=True).order_by("pk").first()
    if sales is None:
        return
    partners = {p.number: p for p in world.partners}
    seeded = {number for number, partner in partners.items() if Contract.objects.filter(partner=partner).exists()}
    plans = {p.code: p for p in services.install_standard_plans()}
    today = timezone.localdate()
    for number, code, days, customers in DEMO_CONTRACTS:
        partner = partners.get(number)
        if partner is None or number in seeded:
            continue
        end_customers = {ec.number: ec for ec in partner.end_customers.all()}
        services.create_contract(
            acting_user=sales,
            partner=partner,
            plan=plans[code],
            start_date=today - timedelta(days=days),
            covers_all_end_customers=customers is None,
            end_customers=[end_customers[n] for n in customers or []],
            reason="Demo",
        )
