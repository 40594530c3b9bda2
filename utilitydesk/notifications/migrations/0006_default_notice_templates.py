from django.db import migrations

from utilitydesk.notifications.defaults import install_default_templates


def install(apps, schema_editor):
    install_default_templates(apps.get_model("notifications", "NoticeTemplate"))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_notices_delivery_and_templates")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
