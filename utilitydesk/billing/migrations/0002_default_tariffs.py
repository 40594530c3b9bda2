from django.db import migrations


def install(apps, schema_editor):
    from utilitydesk.billing.defaults import install_default_tariffs

    install_default_tariffs(
        apps.get_model("billing", "TariffSchedule"),
        apps.get_model("billing", "TariffRate"),
        apps.get_model("billing", "AuthorityLimit"),
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
