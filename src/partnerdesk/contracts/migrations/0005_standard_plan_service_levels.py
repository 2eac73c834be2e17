"""Give the standard plans their service-level targets (R6.3), and their contracts too. Data only."""

from django.db import migrations

from partnerdesk.contracts.choices import STANDARD_PLANS


def set_targets(apps, schema_editor):
    Plan = apps.get_model("contracts", "Plan")
    Contract = apps.get_model("contracts", "Contract")
    for values in STANDARD_PLANS:
        targets = {k: values[k] for k in ("first_response_minutes", "resolution_minutes")}
        Plan.objects.filter(code=values["code"], is_standard=True, first_response_minutes__isnull=True).update(**targets)
        Contract.objects.filter(
            plan__code=values["code"], plan__is_standard=True, first_response_minutes__isnull=True
        ).update(**targets)


class Migration(migrations.Migration):
    dependencies = [("contracts", "0004_service_level_targets")]

    operations = [migrations.RunPython(set_targets, migrations.RunPython.noop)]
