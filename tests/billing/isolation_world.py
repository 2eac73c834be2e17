"""Invoicing's part of the tenant-isolation walk (tests/isolation.py): invoices of A and B, a billing run."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from partnerdesk.accounts.models import User
from partnerdesk.billing.choices import BILLING_ROLES
from partnerdesk.billing.models import BillingRun, Invoice, InvoiceCounter, InvoiceLine
from partnerdesk.billing.services import format_number


def _invoice(world: Any, partner: Any, sequence: int) -> Invoice:
    invoice = Invoice.objects.create(
        series="ISO",
        sequence=sequence,
        number=format_number("ISO", sequence),
        partner=partner,
        period="2026-01",
        period_start="2026-01-01",
        period_end="2026-01-31",
        issued_on="2026-02-01",
        due_on="2026-02-15",
        issued_at="2026-02-01T08:00:00Z",
        seller={"name": "Vendor"},
        buyer={"name": f"Invoice buyer {partner.name}"},
        net_cents=10000,
        vat_cents=1900,
        gross_cents=11900,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        kind="fee",
        description=f"Invoice line of {partner.name}",
        quantity=1,
        unit_price_cents=10000,
        net_cents=10000,
        vat_category="S",
        vat_rate="19.00",
        service_start="2026-01-01",
    )
    return invoice


def extend_world(world: Any) -> None:
    world.invoice_a = _invoice(world, world.partner_a, 1)
    world.invoice_b = _invoice(world, world.partner_b, 2)
    InvoiceCounter.objects.update_or_create(series="ISO", defaults={"last_number": 2})  # as if issued
    world.billing_run = BillingRun.objects.create(
        period="2026-01", period_start="2026-01-01", period_end="2026-01-31", dry_run=True
    )


def _foreign_invoice(world: Any, user: User) -> int | None:
    if user.role in BILLING_ROLES:
        return None  # billing staff see every partner's invoices
    return (world.invoice_b if user.is_partner else world.invoice_a).pk


def _foreign_run(world: Any, user: User) -> int | None:
    return None if user.role in BILLING_ROLES else world.billing_run.pk


def _foreign_entry(world: Any, user: User) -> int | None:
    return world.contracts_entry_b.pk if user.is_partner else None


def _markers(world: Any, user: User) -> list[str]:
    if not hasattr(world, "invoice_a") or user.role in BILLING_ROLES:
        return []
    if user.is_partner:
        return [world.invoice_b.number, f"Invoice line of {world.partner_b.name}"]
    return [world.invoice_a.number, world.invoice_b.number]


def register(isolation: ModuleType) -> None:
    kind = isolation.IdKind
    isolation.ID_KINDS.setdefault("invoice_id", kind(own=lambda w, u: w.invoice_a.pk, foreign=_foreign_invoice))
    isolation.ID_KINDS.setdefault("run_id", kind(own=lambda w, u: w.billing_run.pk, foreign=_foreign_run))
    # Any entry the asker's tickets carry, without a ticket in the path: the vendor sees B's escalated one too.
    isolation.ID_KINDS.setdefault(
        "entry_id",
        kind(
            own=lambda w, u: w.contracts_entry_a.pk,
            foreign=lambda w, u: w.contracts_entry_b.pk if u.is_partner else None,
        ),
    )
    isolation.WORLD_EXTENSIONS.append(extend_world)
    isolation.MARKERS.append(_markers)
