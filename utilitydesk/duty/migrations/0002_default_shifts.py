from django.db import migrations

from utilitydesk.duty.defaults import install_default_shifts


def forwards(apps, schema_editor):
    install_default_shifts(apps.get_model("duty", "Shift"))


class Migration(migrations.Migration):
    dependencies = [("duty", "0001_roster_log_handover")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
