from django.db import migrations

from utilitydesk.knowledge.defaults import install_default_faq, replace_shipped_placeholders


def forwards(apps, schema_editor):
    install_default_faq(apps.get_model("knowledge", "Entry"))
    replace_shipped_placeholders(apps.get_model("knowledge", "StandardPhrase"))


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_seed_phrases")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
