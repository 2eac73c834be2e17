"""Give the standard plans their service-level targets (R6.3), and their contracts too. Data only."""

from django.db import migrations

# The targets as they were when this migration was written (R6.3), frozen here.
TARGETS = {
    "L": {"first_response_minutes": 240, "resolution_minutes": 1_920},
    "M": {"first_response_minutes": 480, "resolution_minutes": 3_840},
    "S": {"first_response_minutes": 480, "resolution_minutes": None},
}


def set_targets(apps, schema_editor):
    Plan = apps.get_model("contracts", "Plan")
    Contract = apps.get_model("contracts", "Contract")
    for code, targets in TARGETS.items():
        Plan.objects.filter(code=code, is_standard=True, first_response_minutes__isnull=True).update(**targets)
        Contract.objects.filter(plan__code=code, plan__is_standard=True, first_response_minutes__isnull=True).update(
            **targets
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0004_service_level_targets")]

    operations = [migrations.RunPython(set_targets, migrations.RunPython.noop)]
