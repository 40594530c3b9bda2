from django.db import migrations

from utilitydesk.cases.defaults import install_default_routing_rules


def seed(apps, schema_editor):
    install_default_routing_rules(apps.get_model("cases", "RoutingRule"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
