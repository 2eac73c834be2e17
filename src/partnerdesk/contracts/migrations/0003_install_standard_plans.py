"""Install the source's plans L, M and S as data on first start (R2.1). Data only; reversible."""

from django.db import migrations

# The source's values as they were when this migration was written (R2.1), frozen here: a later
# change of the code's price list must never change what this migration installs.
STANDARD_PLANS = [
    {
        "code": "L",
        "name": "Model L",
        "fee_cents": 89_900,
        "term_months": 12,
        "notice_days": 0,
        "included_minutes_per_term": 8 * 60,
        "unit_minutes": 15,
        "rate_scope": "contract_term",
        "rate_tiers": [{"from_unit": 0, "unit_price_cents": 2_225}],
        "minimum_units_per_ticket": 0,
    },
    {
        "code": "M",
        "name": "Model M",
        "fee_cents": 49_900,
        "term_months": 12,
        "notice_days": 0,
        "included_minutes_per_term": 4 * 60,
        "unit_minutes": 15,
        "rate_scope": "contract_term",
        "rate_tiers": [{"from_unit": 0, "unit_price_cents": 2_475}],
        "minimum_units_per_ticket": 0,
    },
    {
        "code": "S",
        "name": "Model S",
        "fee_cents": 0,
        "term_months": None,
        "notice_days": 0,
        "included_minutes_per_term": 0,
        "unit_minutes": 15,
        "rate_scope": "ticket",
        "rate_tiers": [{"from_unit": 0, "unit_price_cents": 3_725}, {"from_unit": 4, "unit_price_cents": 3_225}],
        "minimum_units_per_ticket": 0,
    },
]


def install_standard_plans(apps, schema_editor):
    Plan = apps.get_model("contracts", "Plan")
    # Only the values this migration's model knows; later migrations add the values they introduce.
    known = {field.name for field in Plan._meta.get_fields()}
    for values in STANDARD_PLANS:
        Plan.objects.get_or_create(
            code=values["code"],
            defaults={**{k: v for k, v in values.items() if k != "code" and k in known}, "is_standard": True},
        )


def remove_unused_standard_plans(apps, schema_editor):
    Plan = apps.get_model("contracts", "Plan")
    Plan.objects.filter(
        is_standard=True, code__in=[p["code"] for p in STANDARD_PLANS], contracts__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0002_time_entry_ticket")]

    operations = [migrations.RunPython(install_standard_plans, remove_unused_standard_plans)]
