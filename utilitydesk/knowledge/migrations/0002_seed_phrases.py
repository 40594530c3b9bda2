from django.db import migrations

from utilitydesk.knowledge.defaults import install_default_phrases


def seed(apps, schema_editor):
    install_default_phrases(
        apps.get_model("knowledge", "ForbiddenPhrase"), apps.get_model("knowledge", "StandardPhrase")
    )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
