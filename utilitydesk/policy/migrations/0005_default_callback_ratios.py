from django.db import migrations

from utilitydesk.policy.defaults import DEFAULT_CALLBACK_RATIOS


def seed(apps, schema_editor):
    PolicyVersion = apps.get_model("sla", "PolicyVersion")
    for policy in PolicyVersion.objects.filter(callback_ratios={}):
        policy.callback_ratios = DEFAULT_CALLBACK_RATIOS
        policy.save(update_fields=["callback_ratios"])


class Migration(migrations.Migration):
    dependencies = [("sla", "0004_callback_and_complaint_policy")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
