"""Install the source's plans L, M and S as data on first start (R2.1). Data only; reversible."""

from django.db import migrations

from partnerdesk.contracts.choices import STANDARD_PLANS


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
