from django.db import migrations

from utilitydesk.policy.defaults import install_builtin_calendar, install_default_policy


def seed(apps, schema_editor):
    install_default_policy(
        apps.get_model("sla", "PolicyVersion"),
        apps.get_model("sla", "LimitRule"),
        apps.get_model("sla", "EscalationLevel"),
    )
    install_builtin_calendar(apps.get_model("sla", "CalendarYear"), apps.get_model("sla", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
