from django.db import migrations

from utilitydesk.payments.defaults import install_default_layouts


def install(apps, schema_editor):
    install_default_layouts(apps.get_model("payments", "BankFileLayout"))


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
