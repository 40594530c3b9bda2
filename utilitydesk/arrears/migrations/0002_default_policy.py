"""Ships arrears policy version 1 (R-803, R-805) and adds the restoration time limit
(resolution within 24 h for work orders with arrears_valve=restore) to the service policy
versions not retired."""

from django.db import migrations

from utilitydesk.arrears.defaults import install_default_arrears_policy, install_restore_limit


def add(apps, schema_editor):
    install_default_arrears_policy(
        apps.get_model("arrears", "ArrearsPolicy"), apps.get_model("arrears", "PathStep")
    )
    install_restore_limit(apps.get_model("sla", "PolicyVersion"), apps.get_model("sla", "LimitRule"))


class Migration(migrations.Migration):
    dependencies = [("arrears", "0001_initial"), ("sla", "0013_temperature_policy_values")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
